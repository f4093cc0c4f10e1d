// Child process for the resume test: trains into argv[2] and kills itself with SIGKILL (no cleanup, no flush)
// right after the checkpoint of epoch argv[3] is written.
import { train } from "../../../trainer-image/src/training/loop.ts";
import { useWasm } from "./wasm.ts";
import { data, freshModel, spec } from "./resume-fixture.ts";

await useWasm();
const [dir, killAfter] = [process.argv[2]!, Number(process.argv[3])];
await train({
  model: freshModel(), training: spec, ...data(), checkpointDir: dir,
  onEvent: (e) => {
    if (e.type === "checkpoint" && e.epoch === killAfter) process.kill(process.pid, "SIGKILL");
  },
});
