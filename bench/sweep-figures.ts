// The figures issue #14 asks of a sweep, measured with the real trainer: `memeops sweep run` child processes, each
// trial a `memeops run` of the quickstart sweep's trial template (conf/sweeps/quickstart-sweep.yaml: synthetic data,
// tiny model, the default backend of `memeops run`).
//  1. pruned against unpruned: a 6-trial grid sweep once per early-stopping setting (--prune), then the same grid
//     (the same trials, in the same order: checked from the sweep.json files) without it; for each setting the wall
//     time against the unpruned sweep's (a ratio from one run), epochs trained, the trials pruned with the rule's
//     numbers, and whether the pruned sweep still found the unpruned sweep's best trial.
//  2. TPE against random: one sweep each, the same space, budget, seed and parallelism, no early stopping; the best
//     value each found and at which trial.
// The objective is val_loss (minimised): the quickstart reaches val AUROC 1 in most trials, so AUROC ties where the
// loss still orders the trials (how early a trial learned the XOR and how far its loss fell by then).
// 14-25 minutes on 2 loaded CPU cores with the defaults; figures and what they show: docs/operator.md#sweeps.
//   npx tsx bench/sweep-figures.ts [--out DIR] [--parallel 2] [--parts 1,2] [--search-trials 10] [--search-epochs 8]
//     [--seed 1] [--prune asha:4,2 --prune asha:6,2 --prune median:6,2]
// --prune, repeatable, each a pruned sweep compared with the one unpruned run: asha:MIN_EPOCHS,REDUCTION_FACTOR or
// median:WARMUP_EPOCHS,MIN_TRIALS.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";
import type { SweepResult, TrialRecord } from "../cli/sweep/runner.ts";
import { describe } from "../cli/sweep/report.ts";

const SAMPLE = "conf/sweeps/quickstart-sweep.yaml";
const MEMEOPS = "cli/bin/memeops.mjs";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: ".memeops/bench/sweep-figures" },
    parallel: { type: "string", default: "2" },
    parts: { type: "string", default: "1,2" },
    "search-trials": { type: "string", default: "10" },
    "search-epochs": { type: "string", default: "8" },
    seed: { type: "string", default: "1" },
    prune: { type: "string", multiple: true, default: ["asha:4,2", "asha:6,2", "median:6,2"] },
  },
});
const positiveInt = (flag: string, raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag}: '${raw}' is not an integer >= 1`);
  return n;
};
const parallel = positiveInt("parallel", values.parallel);
const searchTrials = positiveInt("search-trials", values["search-trials"]);
const searchEpochs = positiveInt("search-epochs", values["search-epochs"]);
const seed = positiveInt("seed", values.seed);
/** --prune RULE:A,B as the sweep's spec.earlyStopping. */
function earlyStopping(flag: string): Doc {
  const [rule, args] = flag.split(":");
  const [a, b, ...rest] = (args ?? "").split(",").map((s) => positiveInt("prune", s));
  if (a === undefined || b === undefined || rest.length) throw new Error(`--prune: '${flag}' expected RULE:A,B`);
  if (rule === "asha") return { asha: { minEpochs: a, reductionFactor: b } };
  if (rule === "median") return { median: { warmupEpochs: a, minTrials: b } };
  throw new Error(`--prune: '${flag}': the rule is asha or median`);
}
const pruneSettings = values.prune.map((flag) => ({ flag, earlyStopping: earlyStopping(flag) }));
const parts = new Set(values.parts.split(","));
for (const p of parts) if (p !== "1" && p !== "2") throw new Error(`--parts: '${p}' is not a part (1: pruned against unpruned, 2: TPE against random)`);
const out = resolve(values.out);
const storage = join(out, "storage");
mkdirSync(out, { recursive: true });

type Doc = Record<string, any>;
const sample = parse(readFileSync(SAMPLE, "utf8")) as Doc;

/** A sweep over the sample's trial template: val_loss minimised, no goal (it would end the two runs differently). */
function sweepDoc(name: string, spec: Doc, epochs: number): Doc {
  const template = structuredClone(sample.spec.trialTemplate);
  template.spec.training.epochs = epochs;
  return {
    apiVersion: sample.apiVersion,
    kind: sample.kind,
    metadata: { name },
    spec: { trialTemplate: template, objective: { metric: "val_loss", direction: "minimize" }, ...spec },
  };
}

type SweepRun = { result: SweepResult; wall: number; exit: number | null };

/** Runs `memeops sweep run` on the document (written to OUT/NAME.yaml; its output to OUT/NAME.log); returns its sweep.json and wall time. */
async function runSweep(doc: Doc): Promise<SweepRun> {
  const name = doc.metadata.name as string;
  const dir = join(out, name);
  const file = join(out, `${name}.yaml`);
  writeFileSync(file, stringify(doc));
  console.log(`# ${name}: node ${MEMEOPS} sweep run ${file} --parallel ${parallel} --out ${dir} --storage ${storage}`);
  const t0 = performance.now();
  const child = spawn(process.execPath, [MEMEOPS, "sweep", "run", file, "--parallel", String(parallel), "--out", dir, "--storage", storage], { stdio: ["ignore", "pipe", "inherit"] });
  const log: string[] = [];
  child.stdout.setEncoding("utf8").on("data", (text: string) => log.push(text));
  const exit = await new Promise<number | null>((done, fail) => (child.on("error", fail), child.on("close", done)));
  const wall = (performance.now() - t0) / 1000;
  writeFileSync(join(out, `${name}.log`), log.join(""));
  let result: SweepResult;
  try {
    result = JSON.parse(readFileSync(join(dir, "sweep.json"), "utf8")) as SweepResult;
  } catch (err) {
    throw new Error(`${name}: no sweep.json in ${dir} (memeops sweep run exited ${exit}; its output: ${join(out, `${name}.log`)})`, { cause: err });
  }
  console.log(`# ${name}: ${result.phase} (${result.reason}) in ${wall.toFixed(1)} s, exit ${exit}`);
  return { result, wall, exit };
}

const epochsRun = (t: TrialRecord) => t.curve.length;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const f4 = (v: number | null | undefined) => (v === undefined || v === null ? "-" : v.toFixed(4));
const bestLine = (r: SweepResult) => (r.bestTrial ? `${r.bestTrial.name} val_loss ${f4(r.bestTrial.value)} at epoch ${r.bestTrial.epoch ?? "-"} (${describe(r.bestTrial.parameters)})` : "none");

async function prunedAgainstUnpruned(): Promise<void> {
  // The quickstart sits at chance for some epochs, then learns within one or two (and stops: AUROC 1); the learning
  // rate and the training seed set whether and when a trial leaves chance within 12 epochs.
  const space = {
    parameters: [
      { path: "training.learningRate", categorical: { values: [0.0003, 0.001, 0.003] } },
      { path: "training.seed", categorical: { values: [1, 2] } },
    ],
    algorithm: { grid: { pointsPerDimension: 2 } },
    budget: { maxTrials: 6, parallelism: parallel, maxFailedTrials: 2 },
  };
  const epochs = 12;
  // the pruned sweeps first: the first sweep also generates the synthetic data into the shared storage
  const pruned: { flag: string; run: SweepRun }[] = [];
  for (const [i, p] of pruneSettings.entries()) pruned.push({ flag: p.flag, run: await runSweep(sweepDoc(`pruned-${i + 1}`, { ...space, earlyStopping: p.earlyStopping }, epochs)) });
  const full = await runSweep(sweepDoc("unpruned", space, epochs));
  const b = full.result.trials;
  console.log(`\n== 1. pruned against unpruned: the same ${b.length} grid trials, ${epochs} epochs, ${parallel} at a time`);
  console.log(`unpruned: ${full.wall.toFixed(1)} s (sweep.json ${full.result.wallSeconds} s), ${sum(b.map(epochsRun))} epochs; best ${bestLine(full.result)}`);
  for (const t of b) console.log(`  ${t.name.slice(-5)}  ${describe(t.parameters).padEnd(44)} ${t.phase.padEnd(10)} ${f4(t.value)} at epoch ${String(t.epoch ?? "-").padStart(2)}, ${epochsRun(t)} epochs; val_loss by epoch ${t.curve.map(f4).join(" ")}`);
  for (const p of pruned) compare(p.flag, p.run, full);
}

/** One pruned sweep against the unpruned one: same trials, wall time, epochs, what was pruned, the best trial. */
function compare(flag: string, pruned: SweepRun, full: SweepRun): void {
  const a = pruned.result.trials;
  const b = full.result.trials;
  const same = a.length === b.length && a.every((t, i) => JSON.stringify(t.parameters) === JSON.stringify(b[i]!.parameters));
  if (!same) throw new Error(`${pruned.result.name}: not the same trials as the unpruned sweep (sweep.json parameters differ)`);
  const epochsPruned = sum(a.map(epochsRun));
  const epochsFull = sum(b.map(epochsRun));
  console.log(`\n${pruned.result.name} (--prune ${flag}: ${JSON.stringify(pruned.result.earlyStopping)}):`);
  console.log(`  wall time: pruned ${pruned.wall.toFixed(1)} s (sweep.json ${pruned.result.wallSeconds} s), unpruned ${full.wall.toFixed(1)} s; ratio pruned/unpruned ${(pruned.wall / full.wall).toFixed(2)}`);
  console.log(`  epochs trained: pruned ${epochsPruned}, unpruned ${epochsFull}; ratio ${(epochsPruned / epochsFull).toFixed(2)}`);
  const prunedTrials = a.filter((t) => t.phase === "Pruned");
  console.log(`  trials pruned: ${prunedTrials.length} of ${a.length}`);
  for (const t of prunedTrials) console.log(`    ${t.name} (${describe(t.parameters)}): epoch ${t.epoch}, ${t.reason}: ${t.message}`);
  console.log(`  best: ${bestLine(pruned.result)}`);
  const fullBest = b.find((t) => t.name === full.result.bestTrial?.name);
  const fate = fullBest ? a[b.indexOf(fullBest)] : undefined;
  const found = fate !== undefined && fate.name === pruned.result.bestTrial?.name;
  console.log(`  found the unpruned sweep's best trial: ${found ? "yes" : "no"}${!found && fate ? ` (that trial, ${fate.name}, ended ${fate.phase}${fate.phase === "Pruned" ? ` at epoch ${fate.epoch}` : ""})` : ""}`);
}

async function tpeAgainstRandom(): Promise<void> {
  // Fewer epochs than the quickstart needs in its worst seeds, so a trial's loss depends on how early it learns.
  const common = {
    parameters: [
      { path: "training.learningRate", logUniform: { min: 0.0001, max: 0.003 } },
      { path: "training.warmupSteps", int: { min: 20, max: 200, step: 20 } },
    ],
    budget: { maxTrials: searchTrials, parallelism: parallel, maxFailedTrials: searchTrials },
  };
  const startupTrials = Math.max(2, Math.ceil(searchTrials / 3));
  const runs = [
    { name: "random", algorithm: { random: { seed } } },
    { name: "tpe", algorithm: { tpe: { seed, startupTrials } } },
  ];
  const results: { name: string; result: SweepResult }[] = [];
  for (const r of runs) results.push({ name: r.name, result: (await runSweep(sweepDoc(`search-${r.name}`, { ...common, algorithm: r.algorithm }, searchEpochs))).result });

  console.log(`\n== 2. TPE (startupTrials ${startupTrials}) against random: seed ${seed}, ${searchTrials} trials, ${parallel} at a time, ${searchEpochs} epochs, val_loss minimised over learningRate logUniform [1e-4, 3e-3] and warmupSteps int [20, 200] step 20`);
  for (const { name, result } of results) {
    console.log(`${name}: best ${bestLine(result)}; ${result.phase} (${result.reason}), ${result.wallSeconds} s`);
    for (const t of result.trials) console.log(`  ${t.name.slice(-5)}  ${t.phase.padEnd(14)} ${f4(t.value).padStart(8)}  epoch ${String(t.epoch ?? "-").padStart(2)}  ${describe(t.parameters)}`);
  }
}

console.log(`sweep figures: ${new Date().toISOString()}, trial template ${SAMPLE}, output ${out}`);
if (parts.has("1")) await prunedAgainstUnpruned();
if (parts.has("2")) await tpeAgainstRandom();
