// How reliably the quickstart learns: its spec (conf/experiments/quickstart.yaml) is prepared once, then trained once
// per training seed with the real stages (prepare, train, evaluate); per seed: the first epoch with validation
// AUROC >= 0.9, the best validation AUROC and its epoch, the test AUROC of the best weights, and seconds.
//   npx tsx bench/seed-sweep.ts [--seeds 1,2,3] [--work DIR] [training.KEY=VALUE ...]
// Overrides set spec.training fields: epochs=20 batchSize=16 learningRate=1e-3 warmupSteps=30 weightDecay=0.01
// gradientClip=1 patience=6 (earlyStopping.patience). --work keeps the prepared dataset between invocations
// (prepare reuses it when its fingerprint matches); by default a temporary directory is used and removed.
import { mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadExperimentsFromText } from "../api/load.ts";
import type { MemeExperimentSpec } from "../api/v1alpha1/spec.ts";
import { selectBackend } from "../trainer-image/src/training/tfjs-backend.ts";
import { prepare } from "../trainer-image/src/stages/prepare.ts";
import { runTrainStage } from "../trainer-image/src/stages/train-stage.ts";
import { runEvaluateStage } from "../trainer-image/src/stages/evaluate-stage.ts";

const QUICKSTART = "conf/experiments/quickstart.yaml";
const LEARNED = 0.9;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seeds: { type: "string", default: "1,2,3,4,5,6,7,8" }, work: { type: "string" }, file: { type: "string", default: QUICKSTART } },
});
const seeds = values.seeds.split(",").map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n)) throw new Error(`--seeds: "${s}" is not an integer`);
  return n;
});

/** spec.training with KEY=VALUE overrides applied (numbers only; patience goes to earlyStopping). */
function withOverrides(training: MemeExperimentSpec["training"], args: string[]): MemeExperimentSpec["training"] {
  const out = structuredClone(training);
  for (const arg of args) {
    const [key, raw] = arg.split("=");
    const value = Number(raw);
    if (!key || raw === undefined || !Number.isFinite(value)) throw new Error(`override "${arg}": expected KEY=NUMBER`);
    if (key === "patience") out.earlyStopping = { ...out.earlyStopping, patience: value };
    else if (key in out && typeof (out as Record<string, unknown>)[key] === "number") (out as Record<string, unknown>)[key] = value;
    else throw new Error(`override "${arg}": spec.training has no numeric field ${key}`);
  }
  return out;
}

const [doc] = loadExperimentsFromText(await readFile(values.file, "utf8"), values.file);
if (!doc?.experiment) throw new Error(`${values.file}: ${JSON.stringify(doc?.problems)}`);
const base = doc.experiment.spec;
const training = withOverrides(base.training, positionals);
await selectBackend({ candidates: ["wasm"] });

const workRoot = values.work ? resolve(values.work) : await mkdtemp(join(tmpdir(), "memeops-seed-sweep-"));
try {
  const started = performance.now();
  await prepare(base, { workDir: workRoot, storageDir: join(workRoot, "storage") });
  const { seed: _seed, ...shown } = training;
  console.log(`${values.file}, training ${JSON.stringify(shown)}; prepare ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log("seed  first>=0.9  best_val  best_epoch  epochs_run  test_auroc  seconds  val AUROC by epoch");
  const rows: { seed: number; first: number | null }[] = [];
  for (const seed of seeds) {
    const spec: MemeExperimentSpec = { ...base, training: { ...training, seed } };
    const t0 = performance.now();
    // every seed trains into its own checkpoint directory next to the shared prepared dataset
    const workDir = join(workRoot, `seed-${seed}`);
    await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    await symlink(join(workRoot, "prepared"), join(workDir, "prepared"));
    const { model, result } = await runTrainStage(spec, { workDir });
    try {
      const test = (await runEvaluateStage(model, spec, { workDir })).evaluation.results?.auroc ?? NaN;
      const aurocs = result.history.map((m) => m.valAuroc);
      const first = result.history.find((m) => m.valAuroc >= LEARNED)?.epoch ?? null;
      const best = result.history.find((m) => m.epoch === result.bestEpoch)?.valAuroc ?? NaN;
      rows.push({ seed, first });
      console.log([
        String(seed).padEnd(4), String(first ?? "never").padStart(10), best.toFixed(3).padStart(9),
        String(result.bestEpoch ?? "-").padStart(11), String(result.history.length).padStart(11),
        test.toFixed(3).padStart(11), ((performance.now() - t0) / 1000).toFixed(1).padStart(8),
        " " + aurocs.map((a) => a.toFixed(2)).join(" "),
      ].join(" "));
    } finally {
      model.dispose();
      await rm(workDir, { recursive: true, force: true });
    }
  }
  const learned = rows.filter((r) => r.first !== null);
  console.log(`learned (val AUROC >= ${LEARNED}): ${learned.length}/${rows.length}; first epochs ${learned.map((r) => r.first).join(", ") || "-"}`);
} finally {
  if (!values.work) await rm(workRoot, { recursive: true, force: true });
}
