// `memeops sweep run`'s engine: a MemeSweep's trials as local `memeops run` processes, N at a time. Each trial's
// parameters come from the search algorithm (search/) given the trials finished so far, and are recorded (sweep.json)
// before its process starts, as the operator records them in status before it creates the trial. After every epoch a
// trial reports, the early-stopping rule judges its curve against every other trial's; a pruned trial is stopped.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import {
  algorithmConfig, createAlgorithm, decide, prunerConfig, searchSpace,
  type AlgorithmConfig, type Curve, type Direction, type Observation, type Params, type PruneDecision, type PrunerConfig,
} from "../../search/index.ts";
import type { MemeSweep } from "../../api/v1alpha1/memesweep.ts";
import { objectiveDirection } from "../../api/v1alpha1/sweep-spec.ts";
import { countKey, FINAL_TRIAL_PHASES, TRIAL_PHASES, type TrialPhase } from "../../api/v1alpha1/sweep-status.ts";
import { startTrialRun, type EpochLine, type TrialRun } from "./trial-process.ts";
import { trialExperiment } from "./trials.ts";
import { bestOfCurve, METRIC_FIELDS, trialName } from "../../api/contract/sweep.ts";

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
  /** the objective after each epoch; null: not recorded (no value that epoch) */
  curve: (number | null)[];
  seconds?: number;
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
  startTime: string;
  completionTime?: string;
  wallSeconds?: number;
  /** trials by phase, keyed as status.counts (metricsMissing for MetricsMissing) */
  counts: Record<string, number>;
  bestTrial?: { name: string; parameters: Params; value: number; epoch?: number };
  trials: TrialRecord[];
}

export interface SweepRunOptions {
  /** sweep.json and trials/NAME/{experiment.yaml, run.log, run/} go here */
  out: string;
  storage: string;
  /** trials at once (default: spec.budget.parallelism) */
  parallel?: number;
  trackingUri?: string;
  /** one line per event (trial started, epoch, pruned, ended) */
  log(line: string): void;
  /** aborting stops every running trial (Failed, Interrupted) and starts no more */
  signal?: AbortSignal;
}

const worse = (d: Direction, a: number, b: number) => (d === "maximize" ? a < b : a > b);
const fmt = (v: number | null | undefined) => (v === null || v === undefined ? "-" : v.toFixed(4));

export async function runSweep(sweep: MemeSweep, o: SweepRunOptions): Promise<SweepResult> {
  const { spec } = sweep;
  const direction = objectiveDirection(spec.objective);
  const field = METRIC_FIELDS[spec.objective.metric];
  const goal = spec.objective.goal;
  const config = algorithmConfig(spec.algorithm);
  const algorithm = createAlgorithm(config, searchSpace(spec.parameters), direction);
  const pruner = prunerConfig(spec.earlyStopping, spec.trialTemplate.spec.training.epochs);
  const { maxTrials, maxFailedTrials } = spec.budget;
  const parallelism = o.parallel ?? spec.budget.parallelism;
  const trials: TrialRecord[] = [];
  const runs = new Map<number, TrialRun>();
  const running = new Map<number, Promise<void>>();
  const result: SweepResult = {
    name: sweep.metadata.name,
    phase: "Running",
    objective: { metric: spec.objective.metric, direction, ...(goal !== undefined && { goal }) },
    algorithm: config,
    ...(pruner && { earlyStopping: pruner }),
    parallelism,
    startTime: new Date().toISOString(),
    counts: {},
    trials,
  };
  const started = Date.now();
  mkdirSync(join(o.out, "trials"), { recursive: true });
  const save = () => {
    result.counts = Object.fromEntries(TRIAL_PHASES.map((p) => [countKey(p), trials.filter((t) => t.phase === p).length]));
    const best = trials.filter((t) => t.phase === "Succeeded" && t.value !== undefined).reduce<TrialRecord | undefined>((b, t) => (!b || worse(direction, b.value!, t.value!) ? t : b), undefined);
    if (best) result.bestTrial = { name: best.name, parameters: best.parameters, value: best.value!, ...(best.epoch !== undefined && { epoch: best.epoch }) };
    writeFileSync(join(o.out, "sweep.json"), `${JSON.stringify(result, null, 2)}\n`);
  };

  let stopped: { reason: string; message: string } | undefined; // why no more trials start
  let goalReached: string | undefined;
  const interrupted = () => o.signal?.aborted ?? false;
  const onAbort = () => {
    stopped ??= { reason: "Interrupted", message: "the running trials were stopped" };
    for (const run of runs.values()) run.stop();
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
    trial.phase = "Running";
    save();
    o.log(`${trial.name} started: ${describe(params)}`);
    const t0 = Date.now();
    let pruned: PruneDecision | undefined;
    const onEpoch = (m: EpochLine) => {
      if (pruned) return; // an epoch that ended before the stop landed is not the trial's
      const v = m[field];
      const value = typeof v === "number" && Number.isFinite(v) ? v : null;
      while (trial.curve.length < m.epoch - 1) trial.curve.push(null);
      trial.curve[m.epoch - 1] = value;
      o.log(`${trial.name} epoch ${m.epoch}: ${spec.objective.metric} ${fmt(value)}`);
      if (goal !== undefined && value !== null && !worse(direction, value, goal) && !goalReached) {
        goalReached = `${trial.name} reached the goal: ${spec.objective.metric} ${fmt(value)} at epoch ${m.epoch} (goal ${goal})`;
        stopped ??= { reason: "GoalReached", message: goalReached };
      }
      if (!pruner) return;
      const others: Curve[] = trials.filter((t) => t !== trial).map((t) => ({ trial: t.name, values: t.curve }));
      const decision = decide(pruner, direction, { trial: trial.name, values: trial.curve }, others, m.epoch);
      if (decision.prune) {
        pruned = decision;
        o.log(`${trial.name} pruned (${decision.rule}): ${decision.message}`);
        run.stop();
      }
    };
    const run = startTrialRun({ file: join(dir, "experiment.yaml"), out: join(dir, "run"), storage: o.storage, trackingUri: o.trackingUri, logFile: join(dir, "run.log"), onEpoch });
    runs.set(index, run);
    running.set(index, run.done.then((exit) => {
      trial.seconds = Math.round((Date.now() - t0) / 100) / 10;
      const best = bestOfCurve(trial.curve, direction);
      if (pruned) {
        Object.assign(trial, { phase: "Pruned", value: pruned.value ?? undefined, epoch: pruned.epoch, reason: pruned.rule === "median" ? "MedianStopping" : "SuccessiveHalving", message: pruned.message.slice(0, 256) });
      } else if (exit.stopped) {
        Object.assign(trial, { phase: "Failed", reason: "Interrupted", message: "stopped: the sweep was interrupted" });
      } else if (exit.code !== 0) {
        Object.assign(trial, { phase: "Failed", reason: "RunFailed", message: `memeops run exited ${exit.code ?? exit.signal}: ${exit.lastError}`.slice(0, 256) });
      } else if (!best) {
        Object.assign(trial, { phase: "MetricsMissing", reason: "NoObjectiveValue", message: `no ${spec.objective.metric} recorded in ${trial.curve.length} epoch(s)` });
      } else {
        Object.assign(trial, { phase: "Succeeded", value: best.value, epoch: best.epoch });
      }
      o.log(`${trial.name} ${trial.phase}${trial.value !== undefined ? `: ${spec.objective.metric} ${fmt(trial.value)} at epoch ${trial.epoch}` : ""}${trial.message ? ` (${trial.message})` : ""} in ${trial.seconds} s`);
      runs.delete(index);
      running.delete(index);
      save();
    }, (err: Error) => {
      Object.assign(trial, { phase: "Failed", reason: "StartFailed", message: err.message.slice(0, 256) });
      runs.delete(index);
      running.delete(index);
      save();
    }));
  }

  const failed = () => trials.filter((t) => t.phase === "Failed").length;
  for (;;) {
    while (!stopped && !interrupted() && running.size < parallelism) {
      if (failed() > maxFailedTrials) stopped = { reason: "TooManyFailedTrials", message: `${failed()} trials failed, more than maxFailedTrials ${maxFailedTrials}` };
      else if (trials.length >= maxTrials) stopped = { reason: "BudgetExhausted", message: `${maxTrials} trials run (maxTrials)` };
      else {
        const params = algorithm.suggest(trials.length, observations());
        if (params) launch(trials.length, params);
        else stopped = { reason: "SpaceExhausted", message: `every one of the grid's ${algorithm.size} points was tried` };
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  o.signal?.removeEventListener("abort", onAbort);

  const end = ((): Pick<SweepResult, "phase" | "reason" | "message"> => {
    if (interrupted()) return { phase: "Failed", reason: "Interrupted", message: "the running trials were stopped" };
    if (failed() > maxFailedTrials) return { phase: "Failed", reason: "TooManyFailedTrials", message: `${failed()} trials failed, more than maxFailedTrials ${maxFailedTrials}` };
    if (!trials.some((t) => t.phase === "Succeeded")) return { phase: "Failed", reason: "NoTrialSucceeded", message: `none of ${trials.length} trial(s) succeeded with a ${spec.objective.metric}` };
    if (goalReached) return { phase: "Succeeded", reason: "GoalReached", message: goalReached };
    return { phase: "Succeeded", ...stopped! };
  })();
  Object.assign(result, end, { completionTime: new Date().toISOString(), wallSeconds: Math.round((Date.now() - started) / 100) / 10 });
  save();
  return result;
}

export const describe = (p: Params) => Object.entries(p).map(([k, v]) => `${k}=${typeof v === "number" && !Number.isInteger(v) ? v.toPrecision(3) : v}`).join(" ");
