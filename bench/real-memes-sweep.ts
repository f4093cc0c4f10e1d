// A real sweep on real memes: `memeops sweep run` over conf/sweeps/harmeme-sweep.yaml (HarMeme, MiniLM + EfficientNet-
// Lite0) on this machine, its trial template pointed at local files as bench/real-memes.ts does (withLocalPaths), then
// the best trial (chosen on validation only) scored on the test split next to the benchmark's default fused runs.
//   npx tsx bench/real-memes-sweep.ts --data PATH [--file conf/sweeps/harmeme-sweep.yaml] [--models DIR]
//       [--bench-work DIR] [--work DIR] [--max-trials N] [--max-duration 24m] [--report-only]
// --bench-work is bench/real-memes.ts's --work: its storage/ is the sweep's --storage (the image features, cached by
// content) and its cache/ is MEMEOPS_CACHE_DIR (frozen MiniLM outputs, keyed by content); the data is prepared once
// into WORK/prepared and linked into every trial's run folder, so no trial recomputes the prepare stage or the frozen
// layers. Its runs.json holds the default runs compared with.
// Each trial's `memeops run` evaluates its best checkpoint on test (results.json, predictions.csv); a pruned trial
// has none. After the sweep, the template unchanged (the default settings, the trials' seed) runs on the same
// prepared data into WORK/default: the like-for-like baseline (the benchmark's runs differ in seed and may differ in
// prepared features). MEMEOPS_BACKEND is passed on (bench-real used tensorflow: test/tfjs-node/install.sh).
import { spawn } from "node:child_process";
import { mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { loadOneSweep } from "../api/load.ts";
import { trialName } from "../api/contract/sweep.ts";
import type { SweepResult, TrialRecord } from "../cli/sweep/runner.ts";
import { describe, formatTable } from "../cli/sweep/report.ts";
import { prepare } from "../trainer-image/src/stages/prepare.ts";
import { aurocMetric, bootstrapDifference, bootstrapInterval, type Interval } from "../trainer-image/src/evaluation/bootstrap.ts";
import { testIds, withLocalPaths } from "./real-memes/experiment.ts";
import type { BenchRecord } from "./real-memes/report.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    file: { type: "string", default: "conf/sweeps/harmeme-sweep.yaml" },
    models: { type: "string", default: join(homedir(), ".cache/memeops/models") },
    "bench-work": { type: "string", default: ".memeops/bench-real" },
    work: { type: "string", default: ".memeops/bench-real-sweep" },
    "max-trials": { type: "string" },
    "max-duration": { type: "string" },
    "report-only": { type: "boolean", default: false },
  },
});

const benchWork = resolve(values["bench-work"]);
const work = resolve(values.work);
const out = join(work, "sweep");

async function runSweep(): Promise<void> {
  if (!values.data) throw new Error("--data PATH is required: the HarMeme folder with annotations/ and images/");
  const sweep = await loadOneSweep(values.file);
  const { spec } = sweep;
  spec.trialTemplate.spec = withLocalPaths(spec.trialTemplate.spec, resolve(values.data), resolve(values.models));
  if (values["max-trials"] !== undefined) spec.budget.maxTrials = Number(values["max-trials"]);
  if (values["max-duration"] !== undefined) spec.budget.maxDuration = values["max-duration"];
  await rm(out, { recursive: true, force: true });
  await mkdir(join(out, "trials"), { recursive: true });
  const file = join(work, "harmeme-sweep.yaml");
  // written back whole (defaults filled in): `memeops sweep run` validates it again
  await writeFile(file, stringify({ apiVersion: sweep.apiVersion, kind: sweep.kind, metadata: { name: sweep.metadata.name }, spec }));
  // prepared once (its features from the benchmark's cache) and linked into every trial's run folder, where the
  // trial's own prepare stage finds it up to date: what a trial changes is not in the prepared data's fingerprint
  const report = await prepare(spec.trialTemplate.spec, { workDir: work, storageDir: join(benchWork, "storage") });
  console.log(`prepared ${join(work, "prepared")}: ${report.reused ? "reused" : `${report.seconds.toFixed(1)} s`}`);
  const link = async (run: string) => (await mkdir(run, { recursive: true }), await symlink(join(work, "prepared"), join(run, "prepared")));
  for (let i = 0; i < spec.budget.maxTrials; i++) await link(join(out, "trials", trialName(sweep.metadata.name, i), "run"));
  await memeops(["sweep", "run", file, "--out", out]);
  // the template itself (the default settings) at the trials' seed on the same prepared data: the like-for-like baseline
  const baseline = join(work, "default");
  await rm(baseline, { recursive: true, force: true });
  await link(join(baseline, "run"));
  const experiment = { apiVersion: sweep.apiVersion, kind: "MemeExperiment", metadata: { name: `${sweep.metadata.name}-default` }, spec: spec.trialTemplate.spec };
  await writeFile(join(baseline, "experiment.yaml"), stringify(experiment));
  await memeops(["run", join(baseline, "experiment.yaml"), "--out", join(baseline, "run")]);
}

/** `memeops ARGS` with the benchmark's storage and caches and this work folder's MLflow store. */
async function memeops(args: string[]): Promise<void> {
  const all = ["cli/bin/memeops.mjs", ...args, "--storage", join(benchWork, "storage"), "--tracking-uri", join(work, "mlruns")];
  const env = { ...process.env, MEMEOPS_CACHE_DIR: process.env.MEMEOPS_CACHE_DIR ?? join(benchWork, "cache") };
  console.log(`MEMEOPS_CACHE_DIR=${env.MEMEOPS_CACHE_DIR} MEMEOPS_BACKEND=${process.env.MEMEOPS_BACKEND ?? "(default order)"} node ${all.join(" ")}`);
  const child = spawn(process.execPath, all, { stdio: "inherit", env });
  const exit = await new Promise<number | null>((done, fail) => (child.on("error", fail), child.on("close", done)));
  console.log(`memeops ${args[0]} exited ${exit}`);
}

/** The test figures a `memeops run` wrote into RUN (none for a pruned trial). */
async function testOf(run: string): Promise<{ auroc: number; probabilities: number[]; ids: string[] } | undefined> {
  try {
    const results = JSON.parse(await readFile(join(run, "results.json"), "utf8")) as { test?: { auroc?: number } };
    const rows = (await readFile(join(run, "predictions.csv"), "utf8")).trim().split("\n").slice(1).map((l) => l.split(","));
    if (results.test?.auroc === undefined) return undefined;
    return { auroc: results.test.auroc, ids: rows.map((r) => r[0]!), probabilities: rows.map((r) => Number(r[1])) };
  } catch {
    return undefined;
  }
}

const pct = (i: Interval) => `${(100 * i.mean).toFixed(1)} [${(100 * i.lo).toFixed(1)}, ${(100 * i.hi).toFixed(1)}]`;
const f3 = (v: number | null | undefined) => (v === null || v === undefined ? "-" : v.toFixed(3));

async function report(): Promise<void> {
  const result = JSON.parse(await readFile(join(out, "sweep.json"), "utf8")) as SweepResult;
  console.log(`\n${formatTable(result)}\n`);
  const trials = result.trials;
  const finished = trials.filter((t) => t.phase === "Succeeded");
  // what a trial costs unpruned: its own seconds per epoch times the epochs the finished trials ran (early stopping)
  const epochsUnpruned = finished.length ? finished.reduce((s, t) => s + t.curve.length, 0) / finished.length : NaN;
  const estimate = (t: TrialRecord) => (t.phase === "Succeeded" ? t.seconds ?? 0 : ((t.seconds ?? 0) / Math.max(1, t.curve.length)) * epochsUnpruned);
  console.log("| trial | parameters | phase | best val AUROC | epoch | epochs run | seconds | val AUROC by epoch |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const t of trials) {
    console.log(`| ${t.name}${t.name === result.bestTrial?.name ? " (best)" : ""} | ${describe(t.parameters)} | ${t.phase}${t.reason && t.phase !== "Succeeded" ? ` (${t.reason})` : ""} | ` +
      `${f3(t.value)} | ${t.epoch ?? "-"} | ${t.curve.length} | ${t.seconds ?? "-"} | ${t.curve.map(f3).join(" ")} |`);
  }
  const pruned = trials.filter((t) => t.phase === "Pruned");
  const sumEstimate = trials.reduce((s, t) => s + estimate(t), 0);
  console.log(`\npruned: ${pruned.length} of ${trials.length}; ${pruned.map((t) => `${t.name} at epoch ${t.curve.length} (${t.pruned?.message ?? t.message})`).join("; ") || "none"}`);
  console.log(`epochs trained ${trials.reduce((s, t) => s + t.curve.length, 0)}; a pruned trial unpruned is estimated at ${epochsUnpruned.toFixed(1)} epochs ` +
    `(the finished trials' mean, early stopping included) at its own seconds per epoch: epochs saved ${pruned.reduce((s, t) => s + epochsUnpruned - t.curve.length, 0).toFixed(1)}`);
  console.log(`wall time ${result.wallSeconds} s against ${sumEstimate.toFixed(0)} s for the same trials unpruned (estimate): ratio ${(result.wallSeconds! / sumEstimate).toFixed(2)}`);

  const bench = JSON.parse(await readFile(join(benchWork, "runs.json"), "utf8")) as BenchRecord;
  const defaults = bench.runs.filter((r) => r.variant === "fused");
  const labels = bench.testLabels;
  const opts = { resamples: 2000, seed: 1 };
  const defaultTest = bootstrapInterval(defaults.map((r) => r.testProbabilities), labels, aurocMetric, opts);
  console.log(`\ndefault configuration (${join(benchWork, "runs.json")}, fused, seeds ${defaults.map((r) => r.seed).join(",")}): ` +
    `best val AUROC ${defaults.map((r) => f3(Math.max(...r.valAuroc))).join(", ")}; test AUROC ${pct(defaultTest)}`);
  const best = trials.find((t) => t.name === result.bestTrial?.name);
  const test = best && (await testOf(join(out, "trials", best.name, "run")));
  if (!best || !test) return console.log(`best trial: ${best ? `${best.name} has no test evaluation` : "none"}`);
  const ids = await testIds(join(benchWork, "prepared"));
  if (ids.join() !== test.ids.join()) throw new Error(`${best.name}: predictions.csv is not in the benchmark's test order`);
  const bestTest = bootstrapInterval([test.probabilities], labels, aurocMetric, opts);
  const gain = bootstrapDifference([test.probabilities], defaults.map((r) => r.testProbabilities), labels, aurocMetric, opts);
  console.log(`best trial ${best.name} (${describe(best.parameters)}): val AUROC ${f3(best.value)} at epoch ${best.epoch}; test AUROC ${pct(bestTest)} ` +
    `(results.json ${f3(test.auroc)}); minus the default's mean, paired over the test memes: ${(100 * gain.mean).toFixed(1)} [${(100 * gain.lo).toFixed(1)}, ${(100 * gain.hi).toFixed(1)}]`);
  const baseline = await testOf(join(work, "default", "run"));
  if (baseline) {
    if (ids.join() !== baseline.ids.join()) throw new Error(`${join(work, "default", "run")}: predictions.csv is not in the benchmark's test order`);
    const results = JSON.parse(await readFile(join(work, "default", "run", "results.json"), "utf8")) as { bestValAuroc?: number; bestEpoch?: number };
    const gainHere = bootstrapDifference([test.probabilities], [baseline.probabilities], labels, aurocMetric, opts);
    console.log(`default configuration on this sweep's data and seed (${join(work, "default")}): val AUROC ${f3(results.bestValAuroc)} at epoch ${results.bestEpoch}; ` +
      `test AUROC ${pct(bootstrapInterval([baseline.probabilities], labels, aurocMetric, opts))}; best trial minus it, paired: ` +
      `${(100 * gainHere.mean).toFixed(1)} [${(100 * gainHere.lo).toFixed(1)}, ${(100 * gainHere.hi).toFixed(1)}]`);
  }
  for (const t of finished.filter((t) => t !== best)) {
    const other = await testOf(join(out, "trials", t.name, "run"));
    if (other) console.log(`  (not chosen by the sweep, for information: ${t.name} val ${f3(t.value)}, test ${f3(other.auroc)})`);
  }
}

if (!values["report-only"]) await runSweep();
await report();
