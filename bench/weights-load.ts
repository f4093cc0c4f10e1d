// Pretrained-weights loading speed: `npx tsx bench/weights-load.ts` (BENCH_REPEAT, default 5).
// Prints, per committed fixture (test/fixtures/pretrained), the time to open + decode every tensor and to load it into
// the matching model (median of the repeats), and the decode rate in MB/s, so formats compare as ratios.
// `BENCH_FILE=PATH[,PATH...] BENCH_MODEL=vilbert_facebook BENCH_SIZE=base` times real checkpoints instead, one model
// for all (its build, which every run pays whatever the weights, is timed apart: it dominates for base on a CPU).
// E.g. a published file against its `memeops weights convert` output.
import { statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { createModel } from "../trainer-image/src/models/registry.ts";
import type { ModelName, ModelSize } from "../trainer-image/src/models/model.ts";
import { openCheckpoint } from "../trainer-image/src/weights/open-checkpoint.ts";
import { loadInto } from "../trainer-image/src/weights/load.ts";
import { summaryLine } from "../trainer-image/src/weights/load-plan.ts";
import { fixture, fixtureModel } from "../test/unit/weights/fixtures.ts";

const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ms = async (fn: () => Promise<unknown> | unknown) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

async function decodeAll(path: string) {
  const file = await openCheckpoint(path);
  for (const t of file.tensors.values()) if (/^(F|Float|Half|BFloat16|BF16|F16|F32)/.test(t.dtype)) t.read();
  return file;
}

console.log(`load average ${loadavg()[0]!.toFixed(2)} (2 cores shared: compare rows of one run, not runs)`);
if (process.env.BENCH_FILE) {
  const t0 = performance.now();
  const model = createModel((process.env.BENCH_MODEL ?? "vilbert_facebook") as ModelName, (process.env.BENCH_SIZE ?? "base") as ModelSize, { T: 128, R: 36, D: 2048 });
  console.log(`model build ${((performance.now() - t0) / 1000).toFixed(1)} s (paid by every run, whatever the weights)`);
  const rows: [string, number][] = [];
  for (const path of process.env.BENCH_FILE.split(",")) {
    const bytes = statSync(path).isDirectory() ? statSync(join(path, "model.safetensors")).size : statSync(path).size;
    const decode = await ms(() => decodeAll(path));
    let line = "";
    const load = await ms(async () => (line = summaryLine(loadInto(model, await openCheckpoint(path), { allowPartial: true }))));
    console.log(line);
    console.log(`  ${(bytes / 1e6).toFixed(1)} MB: open+decode ${(decode / 1000).toFixed(1)} s (${(bytes / 1e3 / decode).toFixed(0)} MB/s), open+load ${(load / 1000).toFixed(1)} s`);
    rows.push([path, load]);
  }
  if (rows.length > 1) console.log(`load time relative to the first: ${rows.map(([p, t]) => `${p.split("/").pop()} ${(t / rows[0]![1]).toFixed(2)}`).join(", ")}`);
  model.dispose();
} else {
  console.log("fixture                       format        MB    decode ms  MB/s   load ms (into its model)");
  for (const [name, modelName] of [
    ["vilbert-facebook-legacy.bin", "vilbert_facebook"], ["vilbert-facebook-zip.bin", "vilbert_facebook"],
    ["vilbert-hf-zip.bin", "vilbert_hf"], ["vilbert-hf.safetensors", "vilbert_hf"],
    ["bert-pretraining-legacy.bin", "vilbert_facebook"], ["bert-model-zip.bin", "vilbert_facebook"], ["bert-model.safetensors", "vilbert_facebook"],
  ] as const) {
    const path = fixture(name);
    const mb = statSync(path).size / 1e6;
    const format = (await openCheckpoint(path)).format;
    const decodes: number[] = [];
    for (let i = 0; i < REPEAT; i++) decodes.push(await ms(() => decodeAll(path)));
    const decode = median(decodes);
    const model = fixtureModel(modelName);
    const loads: number[] = [];
    for (let i = 0; i < REPEAT; i++) loads.push(await ms(async () => loadInto(model, await openCheckpoint(path))));
    model.dispose();
    console.log(`${name.padEnd(30)}${format.padEnd(14)}${mb.toFixed(2).padStart(5)}  ${decode.toFixed(1).padStart(9)}  ` +
      `${(mb * 1000 / decode).toFixed(0).padStart(4)}  ${median(loads).toFixed(1).padStart(8)}`);
  }
}
