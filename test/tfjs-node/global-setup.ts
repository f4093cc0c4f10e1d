// vitest globalSetup for the "tfjs-node" project: install (or find cached) the real tfjs-node CPU backend and link
// it into this checkout's node_modules. A failed install fails the run: these tests never skip.
// While the link exists, "@tensorflow/tfjs-node" resolves, so selectBackend's default order picks it over wasm for
// every run in this process tree; a link this setup created is removed at teardown, one made by hand is kept.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const link = join(here, "..", "..", "node_modules", "@tensorflow", "tfjs-node");

export default function setup(): () => void {
  const linkedBefore = existsSync(link);
  // stdio inherited: a cold install downloads ~210 MB and builds the binding (~40 s) and should show progress.
  const r = spawnSync("bash", [join(here, "install.sh")], { stdio: "inherit" });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`test/tfjs-node/install.sh failed (exit ${r.status}); its log is above`);
  return () => {
    if (!linkedBefore) rmSync(link, { recursive: true, force: true });
  };
}
