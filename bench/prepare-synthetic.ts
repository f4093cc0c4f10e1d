// The prepare stage end to end on a synthetic dataset (no feature extractor: that is the features engineer's
// benchmark): generation, then a cold prepare, then a warm one that reuses the prepared dataset.
// Usage: npx tsx bench/prepare-synthetic.ts [--n 2048] [--image-size 64]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { memeExperimentSpec } from "../api/v1alpha1/spec.ts";
import { prepare } from "../trainer-image/src/stages/prepare.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "2048" }, "image-size": { type: "string", default: "64" } } });
const n = Number(values.n);
const imageSize = Number(values["image-size"]);
const dir = mkdtempSync(join(tmpdir(), "memeops-bench-prepare-"));
const spec = memeExperimentSpec.parse({ dataset: { source: { synthetic: { n, seed: 7, imageSize } } }, features: { extractor: "pixels", regions: 16 } });
const options = { workDir: join(dir, "work"), storageDir: join(dir, "storage"), extractor: null };

try {
  for (const label of ["cold (generates the dataset first)", "cold (dataset generated)", "warm (reused)"]) {
    if (label.startsWith("cold (dataset")) rmSync(join(dir, "work"), { recursive: true, force: true });
    const r = await prepare(spec, options);
    const items = r.splits.reduce((s, x) => s + ("missing" in x ? 0 : x.items), 0);
    console.log(`${label.padEnd(36)} ${items} items in ${r.seconds.toFixed(2)} s = ${(items / r.seconds).toFixed(0)} items/s`);
    console.log(`  ${r.timings.map((t) => `${t.step} ${t.seconds.toFixed(2)} s`).join(", ")}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
