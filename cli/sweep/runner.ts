// `memeops sweep run`'s engine: a MemeSweep's trials as local `memeops run` processes, N at a time. Each trial's
// parameters come from the search algorithm (search/) given the trials finished so far, and are recorded (sweep.json)
// before its process starts, as the operator records them in status before it creates the trial. After every epoch a
// trial reports, the early-stopping rule judges its curve against every other trial's; a pruned trial is stopped.
// The sweep ends as the operator's does (api/contract/sweep-ending.ts): too many failures, the goal reached by a
// succeeded trial or budget.maxDuration stop the running trials at once (Pruned, SweepEnded); maxTrials or the grid's
// last point let them finish. MLflow: a parent run for the sweep, the trials' runs its children (./tracking.ts).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import {
  algorithmConfig, createAlgorithm, decide, prunerConfig, searchSpace,
  type AlgorithmConfig, type Curve, type Direction, type Observation, type Params, type PrunerConfig,
} from "../../search/index.ts";
import type { MemeExperiment } from "../../api/v1alpha1/memeexperiment.ts";
import type { MemeSweep } from "../../api/v1alpha1/memesweep.ts";
import { objectiveDirection } from "../../api/v1alpha1/sweep-spec.ts";
import { countKey, FINAL_TRIAL_PHASES, TRIAL_PHASES, type TrialPhase } from "../../api/v1alpha1/sweep-status.ts";
import { prunedRunTags, prunedTrialReason, sweepEndedPrune, type PruneRecord } from "../../api/contract/prune.ts";
import { endsExhausted, endsNow, maxDurationMs, type SweepEnding } from "../../api/contract/sweep-ending.ts";
import { bestOfCurve, METRIC_FIELDS, trialName } from "../../api/contract/sweep.ts";
import type { TerminalStatus } from "../../tracking/names.ts";
import { startTrialRun, type EpochLine, type TrialRun, type TrialRunOptions } from "./trial-process.ts";
import { describe, toCsv } from "./report.ts";
import { SweepRuns } from "./tracking.ts";
import { trialExperiment } from "./trials.ts";

export interface TrialRecord {
  name: string;
  index: number;
  parameters: Params;
  phase: TrialPhase;
  /** the best objective value (up to the pruning decision, for Pruned) */
  value?: number;
  /** the epoch of that value (of the pruning decision, for Pruned) */
  epoch?: number;
  reason?: string;
  message?: string;
  /** why it was stopped (phase Pruned): the rule and its numbers, or rule `stopped` when the sweep ended */
  pruned?: PruneRecord;
  /** the objective after each epoch; null: not recorded (no value that epoch) */
  curve: (number | null)[];
  seconds?: number;
  /** its `memeops run` process */
  pid?: number;
  /** its MLflow run, the sweep run's child */
  mlflowRunId?: string;
}

export interface SweepResult {
  name: string;
  phase: "Running" | "Succeeded" | "Failed";
  reason?: string;
  message?: string;
  objective: { metric: keyof typeof METRIC_FIELDS; direction: Direction; goal?: number };
  algorithm: AlgorithmConfig;
  earlyStopping?: PrunerConfig;
  parallelism: number;
  maxDuration?: string;
  startTime: string;
  completionTime?: string;
  wallSeconds?: number;
  /** trials by phase, keyed as status.counts (metricsMissing for MetricsMissing) */
  counts: Record<string, number>;
  bestTrial?: { name: string; parameters: Params; value: number; epoch?: number };
  /** the sweep's MLflow parent run */
  mlflow?: { runId: string; url?: string };
  trials: TrialRecord[];
}

/** Time as the runner sees it (tests pass a fake one). */
export interface SweepClock {
  now(): number;
  /** call `fn` in `ms`; returns a cancel function */
  setTimer(ms: number, fn: () => void): () => void;
}

const realClock: SweepClock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export interface SweepRunOptions {
  /** sweep.json, trials.csv and trials/NAME/{experiment.yaml, run.log, run/} go here */
  out: string;
  storage: string;
  /** trials at once (default: spec.budget.parallelism) */
  parallel?: number;
  trackingUri?: string;
  /** one line per event (trial started, epoch, pruned, ended) */
  log(line: string): void;
  /** aborting stops every running trial (Failed, Interrupted) and starts no more */
  signal?: AbortSignal;
  clock?: SweepClock;
  /** how a trial's process starts (tests pass fakes) */
  startTrial?: (o: TrialRunOptions) => TrialRun;
}

/** A trial started and not yet ended. */
interface Live {
  trial: TrialRecord;
  run?: TrialRun;
  /** set when it is to stop: a rule's decision, or the sweep's end */
  prune?: PruneRecord;
  done: Promise<void>;
}

const better = (d: Direction, a: number, b: number) => (d === "maximize" ? a > b : a < b);
const fmt = (v: number | null | undefined) => (v === null || v === undefined ? "-" : v.toFixed(4));
const INTERRUPTED = { reason: "Interrupted", message: "the running trials were stopped" };

export async function runSweep(sweep: MemeSweep, o: SweepRunOptions): Promise<SweepResult> {
  const { spec } = sweep;
  // The operator holds a suspended sweep until it is resumed; a one-shot local run has nothing to wait for.
  if (spec.suspend) throw new Error(`${sweep.metadata.name}: spec.suspend: true: a suspended sweep starts no trial; set it to false to run the sweep here`);
  const clock = o.clock ?? realClock;
  const startTrial = o.startTrial ?? startTrialRun;
  const direction = objectiveDirection(spec.objective);
  const field = METRIC_FIELDS[spec.objective.metric];
  const goal = spec.objective.goal;
  const config = algorithmConfig(spec.algorithm);
  const algorithm = createAlgorithm(config, searchSpace(spec.parameters), direction);
  const pruner = prunerConfig(spec.earlyStopping, spec.trialTemplate.spec.training.epochs);
  const maxMs = maxDurationMs(spec);
  const parallelism = o.parallel ?? spec.budget.parallelism;
  const trials: TrialRecord[] = [];
  const live = new Map<number, Live>();
  const started = clock.now();
  const result: SweepResult = {
    name: sweep.metadata.name,
    phase: "Running",
    objective: { metric: spec.objective.metric, direction, ...(goal !== undefined && { goal }) },
    algorithm: config,
    ...(pruner && { earlyStopping: pruner }),
    parallelism,
    ...(spec.budget.maxDuration && { maxDuration: spec.budget.maxDuration }),
    startTime: new Date(started).toISOString(),
    counts: {},
    trials,
  };
  mkdirSync(join(o.out, "trials"), { recursive: true });
  const bestTrial = () =>
    trials.filter((t) => t.phase === "Succeeded" && t.value !== undefined).reduce<TrialRecord | undefined>((b, t) => (!b || better(direction, t.value!, b.value!) ? t : b), undefined);
  const save = () => {
    result.counts = Object.fromEntries(TRIAL_PHASES.map((p) => [countKey(p), trials.filter((t) => t.phase === p).length]));
    const best = bestTrial();
    if (best) result.bestTrial = { name: best.name, parameters: best.parameters, value: best.value!, ...(best.epoch !== undefined && { epoch: best.epoch }) };
    writeFileSync(join(o.out, "sweep.json"), `${JSON.stringify(result, null, 2)}\n`);
  };

  const runs = SweepRuns.create(sweep, o.trackingUri, o.log);
  await runs.openParent(sweep);
  if (runs.parentRun) result.mlflow = runs.parentRun;

  let ending: SweepEnding | undefined; // set once: no trial starts after it, the running ones are stopped
  let deadlinePassed = false; // a timer may fire a little before the clock reads the deadline
  let spaceExhausted = false;
  const interrupted = () => o.signal?.aborted ?? false;
  const failed = () => trials.filter((t) => t.phase === "Failed").length;
  const elapsedMs = () => Math.max(clock.now() - started, deadlinePassed && maxMs !== undefined ? maxMs : 0);
  const endsNowHere = () => {
    const best = bestTrial();
    return endsNow(spec, { failed: failed(), ...(best && { best: { name: best.name, value: best.value! } }), elapsedMs: elapsedMs() });
  };

  /** Stop a live trial, saying why (its process gets SIGTERM; one not started yet never starts). */
  const stop = (l: Live, prune: PruneRecord | undefined) => {
    if (l.prune) return;
    if (prune) l.prune = prune;
    l.run?.stop();
  };
  /** End the sweep when a rule says so: nothing more starts, nothing is left running. */
  const check = () => {
    if (ending || interrupted()) return;
    ending = endsNowHere();
    if (!ending) return;
    const e = ending;
    o.log(`${sweep.metadata.name}: ${e.reason}: ${e.message}${live.size ? `; stopping ${live.size} running trial(s)` : ""}`);
    for (const l of live.values()) stop(l, sweepEndedPrune(e, l.trial.curve.length, bestOfCurve(l.trial.curve, direction)?.value ?? null));
  };
  // from the start (the sweep's MLflow run was made meanwhile)
  const cancelDeadline = maxMs === undefined ? undefined : clock.setTimer(Math.max(0, maxMs - (clock.now() - started)), () => ((deadlinePassed = true), check()));
  const onAbort = () => {
    for (const l of live.values()) stop(l, undefined);
  };
  o.signal?.addEventListener("abort", onAbort, { once: true });

  /** Finished trials as the algorithm sees them: a trial without a value (failed, infeasible, no metric) is the worst. */
  const observations = (): Observation[] =>
    trials.filter((t) => (FINAL_TRIAL_PHASES as readonly string[]).includes(t.phase)).map((t) => ({ index: t.index, params: t.parameters, value: t.phase === "Succeeded" || t.phase === "Pruned" ? (t.value ?? null) : null }));

  function launch(index: number, params: Params): void {
    const trial: TrialRecord = { name: trialName(sweep.metadata.name, index), index, parameters: params, phase: "Pending", curve: [] };
    trials.push(trial);
    save();
    const built = trialExperiment(sweep, index, params);
    if (!built.ok) {
      Object.assign(trial, { phase: "Infeasible", reason: "InvalidSpec", message: built.problems.map((p) => `${p.path}: ${p.message}`).join("; ").slice(0, 256) });
      o.log(`${trial.name} ${describe(params)}: Infeasible: ${trial.message}`);
      return save();
    }
    const dir = join(o.out, "trials", trial.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "experiment.yaml"), stringify(built.document));
    const l: Live = { trial, done: Promise.resolve() };
    live.set(index, l);
    l.done = runTrial(l, built.experiment, dir).finally(() => {
      live.delete(index);
      save();
    });
  }

  async function runTrial(l: Live, experiment: MemeExperiment, dir: string): Promise<void> {
    const { trial } = l;
    const runId = await runs.openTrial(experiment);
    if (runId) trial.mlflowRunId = runId;
    if (l.prune || interrupted()) {
      // the sweep ended (or was interrupted) while the run was being made: the trial never starts
      Object.assign(trial, l.prune ? { phase: "Pruned", reason: prunedTrialReason(l.prune.rule), message: `not run: the sweep ended (${ending?.reason})`, pruned: l.prune } : { phase: "Failed", ...INTERRUPTED });
      return runs.closeTrial(runId, "KILLED", l.prune ? prunedRunTags(l.prune) : {});
    }
    trial.phase = "Running";
    save();
    o.log(`${trial.name} started: ${describe(trial.parameters)}`);
    const t0 = clock.now();
    const onEpoch = (m: EpochLine) => {
      if (l.prune) return; // an epoch that ended before the stop landed is not the trial's
      const v = m[field];
      const value = typeof v === "number" && Number.isFinite(v) ? v : null;
      while (trial.curve.length < m.epoch - 1) trial.curve.push(null);
      trial.curve[m.epoch - 1] = value;
      o.log(`${trial.name} epoch ${m.epoch}: ${spec.objective.metric} ${fmt(value)}`);
      if (!pruner) return;
      const others: Curve[] = trials.filter((t) => t !== trial).map((t) => ({ trial: t.name, values: t.curve }));
      const d = decide(pruner, direction, { trial: trial.name, values: trial.curve }, others, m.epoch);
      if (!d.prune) return;
      o.log(`${trial.name} pruned (${d.rule}): ${d.message}`);
      stop(l, { rule: d.rule, epoch: d.epoch, value: d.value, threshold: d.threshold, compared: d.compared, message: d.message.slice(0, 1024) });
    };
    let exit: Awaited<TrialRun["done"]>;
    try {
      l.run = startTrial({
        file: join(dir, "experiment.yaml"), out: join(dir, "run"), storage: o.storage, trackingUri: runs.target.uri, logFile: join(dir, "run.log"),
        // the trial's run is the one made here; without one, never one the caller's environment names
        env: { MLFLOW_RUN_ID: runId },
        onEpoch,
      });
      if (l.run.pid !== undefined) trial.pid = l.run.pid;
      save();
      exit = await l.run.done;
    } catch (err) {
      Object.assign(trial, { phase: "Failed", reason: "StartFailed", message: (err as Error).message.slice(0, 256) });
      return runs.closeTrial(runId, "FAILED");
    }
    trial.seconds = Math.round((clock.now() - t0) / 100) / 10;
    const best = bestOfCurve(trial.curve, direction);
    let status: TerminalStatus;
    const p = l.prune as PruneRecord | undefined; // set by the callbacks meanwhile
    if (p) {
      Object.assign(trial, { phase: "Pruned", value: p.value ?? undefined, epoch: p.epoch > 0 ? p.epoch : undefined, reason: prunedTrialReason(p.rule), message: p.message.slice(0, 256), pruned: p });
      status = "KILLED";
    } else if (exit.stopped) {
      Object.assign(trial, { phase: "Failed", reason: "Interrupted", message: "stopped: the sweep was interrupted" });
      status = "KILLED";
    } else if (exit.code !== 0) {
      Object.assign(trial, { phase: "Failed", reason: "RunFailed", message: `memeops run exited ${exit.code ?? exit.signal}: ${exit.lastError}`.slice(0, 256) });
      status = "FAILED";
    } else if (!best) {
      Object.assign(trial, { phase: "MetricsMissing", reason: "NoObjectiveValue", message: `no ${spec.objective.metric} recorded in ${trial.curve.length} epoch(s)` });
      status = "FINISHED";
    } else {
      Object.assign(trial, { phase: "Succeeded", value: best.value, epoch: best.epoch });
      status = "FINISHED";
    }
    o.log(`${trial.name} ${trial.phase}${trial.value !== undefined ? `: ${spec.objective.metric} ${fmt(trial.value)} at epoch ${trial.epoch ?? "-"}` : ""}${trial.message ? ` (${trial.message})` : ""} in ${trial.seconds} s`);
    await runs.closeTrial(runId, status, p ? prunedRunTags(p) : {});
  }

  for (;;) {
    check();
    while (!ending && !interrupted() && !spaceExhausted && live.size < parallelism && trials.length < spec.budget.maxTrials) {
      const params = algorithm.suggest(trials.length, observations());
      if (params) launch(trials.length, params);
      else spaceExhausted = true;
    }
    if (algorithm.size !== undefined && trials.length >= algorithm.size) spaceExhausted = true;
    if (live.size === 0) break;
    await Promise.race([...live.values()].map((l) => l.done));
  }
  cancelDeadline?.();
  o.signal?.removeEventListener("abort", onAbort);

  // As the operator's: recomputed from the trials as they ended (one that succeeded while the others were stopped counts).
  const end = interrupted() ? { phase: "Failed" as const, ...INTERRUPTED } : (endsNowHere() ?? endsExhausted(spec, { created: trials.length, spaceExhausted, hasBest: !!bestTrial() }));
  if (!end) throw new Error(`${sweep.metadata.name}: the sweep stopped without a reason (a bug)`);
  Object.assign(result, end, { completionTime: new Date(clock.now()).toISOString(), wallSeconds: Math.round((clock.now() - started) / 100) / 10 });
  save();
  const csv = join(o.out, "trials.csv");
  writeFileSync(csv, toCsv(result));
  await runs.closeParent(interrupted() ? "KILLED" : end.phase === "Succeeded" ? "FINISHED" : "FAILED", csv);
  return result;
}
