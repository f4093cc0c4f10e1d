// A sweep's next status and what to do about it, as a pure function of what was observed: the sweep, the status
// written so far (the search's memory: every trial's parameters), and the trials (MemeExperiments) that exist. The
// controller writes the status first, then acts (creates the recorded trials, prunes, stops, suspends, re-runs), so
// a crash between the two is repaired by the next reconcile from the status alone.
import { bestOfCurve, objectiveCurve, trialName } from "../../api/contract/sweep.ts";
import { prunedTrialReason, readPruneAnnotation, sweepEndedPrune, type PruneRecord } from "../../api/contract/prune.ts";
import { endsExhausted, endsNow, maxDurationMs, type SweepEnding } from "../../api/contract/sweep-ending.ts";
import { CONDITION, REASON } from "../../api/contract/conditions.ts";
import type { Condition, MemeExperimentStatus } from "../../api/v1alpha1/status.ts";
import { objectiveDirection, type MemeSweepSpec } from "../../api/v1alpha1/sweep-spec.ts";
import { clipText } from "../../api/v1alpha1/stored-json.ts";
import { countKey, MAX_CONDITION_MESSAGE, MAX_TRIAL_MESSAGE, MAX_TRIAL_REASON, TRIAL_PHASES, type MemeSweepStatus, type SweepPhase, type SweepTrial, type TrialPhase } from "../../api/v1alpha1/sweep-status.ts";
import { trialSpec } from "../../api/v1alpha1/sweep-values.ts";
import type { MemeExperimentSpec } from "../../api/v1alpha1/spec.ts";
import { decide, type Curve, type Direction, type Observation as SearchObservation, type PrunerConfig, type SearchAlgorithm } from "../../search/index.ts";
import type { KubeObject } from "../kube/informer.ts";
import { setConditions, type ConditionInput } from "./conditions.ts";

/** Times an evicted trial is re-created with the same parameters before it counts as Failed. */
export const MAX_RERUNS = 3;
/** Failure reasons of a trial that ran out of memory or was refused: the search learns it is bad, nobody retries. */
const INFEASIBLE_REASONS = new Set(["OOMKilled", "InvalidSpec"]);
/** Failure reasons of a trial that lost its machine or its quota: run again, same parameters. */
/** An experiment Failed because its pod was taken away (operator/status/failure.ts): re-run, not charged. */
const EVICTED_REASONS = new Set<string>([REASON.evicted]);
const FINAL: readonly TrialPhase[] = ["Succeeded", "Failed", "Infeasible", "MetricsMissing", "Pruned"];
const ACTIVE: readonly TrialPhase[] = ["Pending", "Queued", "Running", "Evicted"];
const RUNNING_EXPERIMENT = new Set(["Preparing", "Training", "Evaluating"]);

export type TrialObject = KubeObject & { spec?: unknown; status?: MemeExperimentStatus };

export interface SweepObservation {
  /** the sweep's name: its trials are `<name>-t0001`... */
  name: string;
  spec: MemeSweepSpec;
  generation?: number;
  status: MemeSweepStatus;
  /** the sweep's trials that exist, by index */
  trials: ReadonlyMap<number, TrialObject>;
  algorithm: SearchAlgorithm;
  pruner?: PrunerConfig;
  now: string;
}

export interface SweepPlan {
  status: MemeSweepStatus;
  /** recorded trials without an object: create them (index, parameters, spec) */
  create: { index: number; spec: MemeExperimentSpec }[];
  /** set the prune annotation on these trials (an early-stopping decision, or the sweep's end) */
  prune: { name: string; record: PruneRecord }[];
  /** trials whose spec.suspend must follow the sweep's */
  suspend: { name: string; suspend: boolean }[];
  /** evicted trials to delete (uid precondition) before they are created again */
  rerun: { name: string; uid: string }[];
  /** when the sweep ends by itself (maxDuration), in ms from now */
  deadlineInMs?: number;
}

const isFinal = (p: TrialPhase) => FINAL.includes(p);
// Texts clipped to their byte bounds in the status schema, on which the sweep's status budget rests.
const clip = (m: string | undefined) => (m === undefined ? undefined : clipText(m, MAX_TRIAL_MESSAGE));
const sweepConditionsOf = (current: Condition[] | undefined, list: ConditionInput[], generation: number | undefined, now: string) =>
  setConditions(current, list.map((c) => ({ ...c, message: clipText(c.message, MAX_CONDITION_MESSAGE) })), generation, now);

/** What a trial's object says about it, merged into its recorded entry. */
export function observeTrial(entry: SweepTrial, exp: TrialObject | undefined, spec: MemeSweepSpec): SweepTrial {
  const base: SweepTrial = {
    name: entry.name,
    index: entry.index,
    parameters: entry.parameters,
    phase: entry.phase,
    ...(entry.judgedEpoch && { judgedEpoch: entry.judgedEpoch }),
    ...(entry.reruns && { reruns: entry.reruns }),
    ...(entry.evictedUid && { evictedUid: entry.evictedUid }),
  };
  if (!exp) return isFinal(entry.phase) ? entry : { ...base, phase: entry.phase === "Evicted" ? "Evicted" : "Pending" };
  // The evicted object still on its way out: the entry stands until it is gone and created again.
  if (entry.evictedUid && exp.metadata.uid === entry.evictedUid) return { ...entry, phase: "Evicted" };
  const s = exp.status ?? {};
  const best = bestOfCurve(objectiveCurve(s.epochs, spec.objective.metric), objectiveDirection(spec.objective));
  const measured = best ? { value: best.value, epoch: best.epoch } : {};
  const with_ = (phase: TrialPhase, extra: Partial<SweepTrial> = {}): SweepTrial => ({
    ...base,
    phase,
    ...measured,
    ...extra,
    ...(extra.reason !== undefined && { reason: clipText(extra.reason, MAX_TRIAL_REASON) }),
    ...(extra.message !== undefined && { message: clip(extra.message) }),
  });
  switch (s.phase as string | undefined) {
    case "Succeeded":
      return best ? with_("Succeeded") : with_("MetricsMissing", { reason: "MetricsMissing", message: `succeeded without recording ${spec.objective.metric}` });
    case "Pruned":
      return with_("Pruned", {
        ...(s.pruned?.value !== undefined && { value: s.pruned.value }),
        ...(s.pruned && s.pruned.epoch > 0 && { epoch: s.pruned.epoch }),
        reason: prunedTrialReason(s.pruned?.rule),
        message: s.pruned?.message ?? "pruned",
      });
    case "Failed": {
      const reason = s.failure?.reason ?? "Failed";
      const message = s.failure?.message ?? "failed";
      if (INFEASIBLE_REASONS.has(reason)) return with_("Infeasible", { reason, message });
      if (EVICTED_REASONS.has(reason)) return with_(entry.reruns !== undefined && entry.reruns >= MAX_RERUNS ? "Failed" : "Evicted", { reason, message });
      return with_("Failed", { reason, message });
    }
    case "Queued": {
      // Why Kueue holds it (waiting for quota, evicted, its Workload inactive), in the entry's short message.
      const ready = s.conditions?.find((c) => c.type === CONDITION.ready);
      return with_("Queued", ready ? { reason: ready.reason, message: ready.message } : {});
    }
    default:
      return with_(RUNNING_EXPERIMENT.has(s.phase ?? "") ? "Running" : "Pending");
  }
}

/** The value the search learns from a finished trial: its best value, or null (the worst) when it has none. */
function searchValue(t: SweepTrial): number | null {
  return (t.phase === "Succeeded" || t.phase === "Pruned") && t.value !== undefined ? t.value : null;
}

const better = (d: Direction, a: number, b: number) => (d === "maximize" ? a > b : a < b);

type Ending = SweepEnding;

export function planSweep(o: SweepObservation): SweepPlan {
  const { spec } = o;
  const direction = objectiveDirection(spec.objective);
  const plan: SweepPlan = { status: o.status, create: [], prune: [], suspend: [], rerun: [] };
  let trials = (o.status.trials ?? []).map((entry) => observeTrial(entry, o.trials.get(entry.index), spec));

  // Evicted trials: the object goes (once per eviction), then the entry is created again with the same parameters.
  trials = trials.map((t) => {
    const exp = o.trials.get(t.index);
    if (t.phase !== "Evicted" || !exp?.metadata.uid) return t;
    if (t.evictedUid !== exp.metadata.uid) t = { ...t, reruns: (t.reruns ?? 0) + 1, evictedUid: exp.metadata.uid };
    plan.rerun.push({ name: t.name, uid: exp.metadata.uid });
    return t;
  });

  const count = (p: TrialPhase) => trials.filter((t) => t.phase === p).length;
  const best = trials
    .filter((t) => t.phase === "Succeeded" && t.value !== undefined)
    .reduce<SweepTrial | undefined>((a, t) => (!a || better(direction, t.value!, a.value!) ? t : a), undefined);
  const startTime = o.status.startTime ?? (trials.length || !spec.suspend ? o.now : undefined);
  const maxMs = maxDurationMs(spec);
  const elapsed = startTime ? Date.parse(o.now) - Date.parse(startTime) : 0;

  let ending: Ending | undefined = endsNow(spec, { failed: count("Failed"), ...(best && { best: { name: best.name, value: best.value! } }), elapsedMs: elapsed });

  // New trials: parameters drawn and recorded here; the controller creates them after the status is written.
  let created = o.status.trialsCreated ?? trials.length;
  let spaceExhausted = false;
  if (!ending && !spec.suspend) {
    const observations: SearchObservation[] = trials.filter((t) => isFinal(t.phase)).map((t) => ({ index: t.index, params: t.parameters, value: searchValue(t) }));
    let active = trials.filter((t) => ACTIVE.includes(t.phase)).length;
    while (active < spec.budget.parallelism && created < spec.budget.maxTrials) {
      const params = o.algorithm.suggest(created, observations);
      if (!params) {
        spaceExhausted = true;
        break;
      }
      const name = trialName(o.name, created);
      const result = trialSpec(spec.trialTemplate.spec, params);
      if (result.ok) {
        trials.push({ name, index: created, parameters: params, phase: "Pending" });
        active++;
      } else {
        const t: SweepTrial = { name, index: created, parameters: params, phase: "Infeasible", reason: "InvalidSpec", message: clip(result.message) };
        trials.push(t);
        observations.push({ index: t.index, params, value: null });
      }
      created++;
    }
    if (!spaceExhausted && created < spec.budget.maxTrials && o.algorithm.size !== undefined && created >= o.algorithm.size) spaceExhausted = true;
  }

  if (!ending && trials.every((t) => isFinal(t.phase))) ending = endsExhausted(spec, { created, spaceExhausted, hasBest: !!best });

  for (const [i, t] of trials.entries()) {
    const exp = o.trials.get(t.index);
    const expEnded = exp && ["Succeeded", "Failed", "Pruned"].includes(exp.status?.phase ?? "");
    if (ending) {
      // Nothing is left running: live trials are stopped, recorded ones not yet created never will be.
      if (exp && !expEnded && !readPruneAnnotation(exp.metadata.annotations)) {
        const epoch = exp.status?.epochs?.reduce((m, e) => Math.max(m, e.epoch), 0) ?? 0;
        plan.prune.push({ name: t.name, record: sweepEndedPrune(ending, epoch, t.value ?? null) });
      }
      continue;
    }
    if (!exp && (t.phase === "Pending" || (t.phase === "Evicted" && !plan.rerun.some((r) => r.name === t.name)))) {
      // A suspended sweep creates nothing: recorded trials are created once it resumes.
      const result = spec.suspend ? undefined : trialSpec(spec.trialTemplate.spec, t.parameters);
      if (result?.ok) plan.create.push({ index: t.index, spec: result.spec });
      continue;
    }
    if (!exp || expEnded || readPruneAnnotation(exp.metadata.annotations)) continue;
    if (((exp.spec as { suspend?: boolean } | undefined)?.suspend ?? false) !== spec.suspend) plan.suspend.push({ name: t.name, suspend: spec.suspend });
    if (o.pruner && t.phase === "Running") {
      const judged = judge(o, t, trials, direction);
      trials[i] = { ...t, judgedEpoch: judged.epoch };
      if (judged.prune) plan.prune.push({ name: t.name, record: judged.prune });
    }
  }
  if (ending) trials = trials.map((t) => (isFinal(t.phase) || o.trials.get(t.index) ? t : { ...t, phase: "Pruned", reason: "SweepEnded", message: clip(`not run: the sweep ended (${ending.reason})`) }));

  const phase: SweepPhase = ending?.phase ?? (spec.suspend ? "Suspended" : trials.length ? "Running" : "Pending");
  const counts = Object.fromEntries(TRIAL_PHASES.map((p) => [countKey(p), count(p)]));
  const mlflowUrl = best && o.trials.get(best.index)?.status?.mlflow?.url;
  plan.status = {
    phase,
    ...(o.generation !== undefined && { observedGeneration: o.generation }),
    conditions: sweepConditions(o, phase, ending),
    trialsCreated: created,
    running: trials.filter((t) => ACTIVE.includes(t.phase)).length,
    counts,
    ...(best && { bestTrial: { name: best.name, parameters: best.parameters, value: best.value!, ...(best.epoch && { epoch: best.epoch }), ...(mlflowUrl && { mlflowRunUrl: mlflowUrl }) } }),
    trials,
    ...(startTime && { startTime }),
    ...(ending && { completionTime: o.status.completionTime ?? o.now }),
  };
  if (!ending && maxMs !== undefined && startTime) plan.deadlineInMs = Math.max(0, maxMs - elapsed);
  return plan;
}

/**
 * The early-stopping rule over a running trial's epochs not judged yet, oldest first, up to its latest: every epoch is
 * judged once, so an ASHA rung is never skipped when several epochs arrive between two reconciles. The first epoch
 * that says prune is the decision.
 */
function judge(o: SweepObservation, t: SweepTrial, trials: readonly SweepTrial[], direction: Direction): { epoch: number; prune?: PruneRecord } {
  const curveOf = (x: SweepTrial): Curve => ({ trial: x.name, values: objectiveCurve(o.trials.get(x.index)?.status?.epochs, o.spec.objective.metric) });
  const mine = curveOf(t);
  const latest = mine.values.length;
  const others = trials.filter((x) => x.index !== t.index && o.trials.get(x.index)).map(curveOf);
  for (let epoch = (t.judgedEpoch ?? 0) + 1; epoch <= latest; epoch++) {
    const d = decide(o.pruner!, direction, mine, others, epoch);
    if (d.prune) return { epoch, prune: { rule: d.rule, epoch: d.epoch, value: d.value, threshold: d.threshold, compared: d.compared, message: d.message.slice(0, 1024) } };
  }
  return { epoch: Math.max(latest, t.judgedEpoch ?? 0) };
}

function sweepConditions(o: SweepObservation, phase: SweepPhase, ending: Ending | undefined): Condition[] {
  const is = (b: boolean): "True" | "False" => (b ? "True" : "False");
  const list: ConditionInput[] = [
    { type: CONDITION.ready, status: is(phase === "Running" || phase === "Succeeded"), reason: ending?.reason ?? phase, message: ending?.message ?? `phase ${phase}` },
    { type: CONDITION.running, status: is(phase === "Running"), reason: phase === "Running" ? "TrialsRunning" : (ending?.reason ?? phase), message: phase === "Running" ? "the sweep creates and watches its trials" : (ending?.message ?? `phase ${phase}`) },
    { type: CONDITION.succeeded, status: is(phase === "Succeeded"), reason: phase === "Succeeded" ? ending!.reason : "NotSucceeded", message: phase === "Succeeded" ? ending!.message : "not (yet) succeeded" },
    { type: CONDITION.failed, status: is(phase === "Failed"), reason: phase === "Failed" ? ending!.reason : "NoFailure", message: phase === "Failed" ? ending!.message : "no failure" },
    { type: CONDITION.suspended, status: is(phase === "Suspended"), reason: phase === "Suspended" ? "SpecSuspended" : "NotSuspended", message: phase === "Suspended" ? "spec.suspend is true: no new trial, running ones suspended" : "spec.suspend is false or the sweep has ended" },
    { type: CONDITION.invalidSpec, status: "False", reason: "SpecValid", message: "the spec passed the runtime checks" },
  ];
  return sweepConditionsOf(o.status.conditions, list, o.generation, o.now);
}

/** The status of a sweep whose spec the runtime refuses: Failed, InvalidSpec naming the field; nothing is created. */
export function invalidSweepStatus(status: MemeSweepStatus, generation: number | undefined, message: string, now: string): MemeSweepStatus {
  const list: ConditionInput[] = [
    { type: CONDITION.ready, status: "False", reason: "InvalidSpec", message },
    { type: CONDITION.running, status: "False", reason: "InvalidSpec", message },
    { type: CONDITION.succeeded, status: "False", reason: "InvalidSpec", message: "not (yet) succeeded" },
    { type: CONDITION.failed, status: "True", reason: "InvalidSpec", message },
    { type: CONDITION.suspended, status: "False", reason: "NotSuspended", message: "the spec is invalid" },
    { type: CONDITION.invalidSpec, status: "True", reason: "InvalidSpec", message },
  ];
  return { ...status, phase: "Failed", ...(generation !== undefined && { observedGeneration: generation }), conditions: sweepConditionsOf(status.conditions, list, generation, now) };
}
