// The experiment's status as a pure function of what was observed: its Jobs and their pods, the resolved dependency
// and tracking run, and the status written so far. Never lies: a failed Job is Failed even when its pods are gone,
// and a terminal phase, once recorded with its completion time, is kept (Jobs may be deleted by their TTL later).
import type { Condition, MemeExperimentStatus } from "../../api/v1alpha1/status.ts";
import type { Problem } from "../../api/v1alpha1/parse.ts";
import type { JobUnit } from "../builders/job-units.ts";
import { CONTAINER } from "../builders/job.ts";
import { isPodTerminal, jobCondition, type JobObject, type PodObject } from "../kube/types.ts";
import { applyReport, parseTerminationMessage } from "../../api/contract/reports.ts";
import { CONDITION, REASON } from "../../api/contract/conditions.ts";
import type { PruneRecord } from "../../api/contract/prune.ts";
import { setConditions, type ConditionInput } from "./conditions.ts";
import type { UnmetDependency } from "./dependency.ts";
import { blockedReason, jobFailure, type Failure } from "./failure.ts";
import { workloadVerdict } from "./kueue.ts";
import type { WorkloadObject } from "../kube/workloads.ts";

type Phase = NonNullable<MemeExperimentStatus["phase"]>;

export interface ObservedUnit {
  unit: JobUnit;
  name: string;
  job?: JobObject;
  pods: readonly PodObject[];
  /** the Job's current Kueue Workload, when it is queued and Kueue made one */
  workload?: WorkloadObject;
}

export interface Observation {
  generation?: number;
  status: MemeExperimentStatus;
  /** problems of a spec the runtime refuses; undefined when the spec is valid */
  invalid?: readonly Problem[];
  suspend: boolean;
  /** the Kueue LocalQueue the Jobs are queued in: Kueue, not spec.suspend, decides when a suspended Job starts */
  queue?: string;
  /** the cluster served no Kueue Workloads when the operator started: nothing will admit a queued Job */
  kueueMissing?: boolean;
  units: readonly ObservedUnit[];
  dependency?: UnmetDependency;
  tracking?: { state: "ready"; runId: string; url?: string } | { state: "unavailable"; message: string };
  /** the decision of the trial's sweep to stop it (annotation memeops.io/prune) */
  prune?: PruneRecord;
  now: string;
}

const STAGE_PHASE: Record<string, Phase> = { prepare: "Preparing", train: "Training", evaluate: "Evaluating", predict: "Evaluating" };
export const TERMINAL: readonly Phase[] = ["Succeeded", "Failed", "Pruned"];
export const RUNNING: readonly Phase[] = ["Preparing", "Training", "Evaluating"];

export const isTerminal = (s: MemeExperimentStatus | undefined) => !!s?.phase && TERMINAL.includes(s.phase) && !!s.completionTime;

/** Results the trainers left in their termination messages, oldest pod first. */
function withTerminationResults(status: MemeExperimentStatus, units: readonly ObservedUnit[], now: string): MemeExperimentStatus {
  let out = status;
  for (const u of units) {
    for (const pod of [...u.pods].sort((a, b) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? ""))) {
      if (!isPodTerminal(pod)) continue;
      const c = pod.status?.containerStatuses?.find((s) => s.name === CONTAINER);
      const result = parseTerminationMessage(c?.state?.terminated?.message);
      if (result) out = { ...out, ...applyReport(out, result, now) };
    }
  }
  return out;
}

interface Verdict {
  phase: Phase;
  failure?: Failure;
  blocked?: { reason: string; message: string };
  done?: boolean;
}

function verdict(o: Observation): Verdict {
  if (o.invalid) {
    const message = o.invalid.map((p) => `${p.path}: ${p.message}`).join("; ");
    return { phase: "Failed", failure: { reason: "InvalidSpec", message: message.slice(0, 4096) } };
  }
  // A sweep's decision ends the trial whatever its Job is doing (the controller deletes the Job).
  if (o.prune) return { phase: "Pruned", done: true };
  const recorded = new Set((o.status.jobs ?? []).map((j) => j.name));
  for (const u of o.units) {
    if (u.job) {
      const failure = jobFailure(u.job, u.pods, u.unit.key);
      if (failure) return { phase: "Failed", failure, done: true };
      if (jobCondition(u.job, "Complete")) continue;
      if (o.suspend) return { phase: "Suspended" };
      if (u.job.spec.suspend) return o.queue ? queued(o, u, o.queue) : { phase: "Suspended" };
      const running = u.pods.some((p) => p.status?.phase === "Running" && !p.metadata.deletionTimestamp);
      const reported = o.status.progress?.stage;
      const stage = reported && (u.unit.stages as string[]).includes(reported) ? reported : (u.unit.stages[0] ?? "prepare");
      // A pod that has just ended, before the Job controller's verdict, keeps the stage's phase (no flap to Pending).
      const ending = u.pods.some(isPodTerminal) && !u.pods.some((p) => p.status?.phase === "Pending" || !p.status?.phase);
      if (running || ending) return { phase: STAGE_PHASE[stage] ?? "Training" };
      return { phase: "Pending", blocked: blockedReason(u.pods) ?? { reason: "PodPending", message: `waiting for a pod of Job ${u.name} to run` } };
    }
    if (recorded.has(u.name)) {
      const failure = { reason: "JobDeleted", stage: u.unit.key, message: `Job ${u.name} was deleted before it finished` };
      return { phase: "Failed", failure, done: true };
    }
    if (o.suspend) return { phase: "Suspended" };
    if (o.dependency?.ends) return { phase: "Failed", failure: { reason: o.dependency.reason, message: o.dependency.message }, done: true };
    if (o.dependency) return { phase: "Pending", blocked: { reason: o.dependency.reason, message: o.dependency.message } };
    return { phase: "Pending", blocked: { reason: "JobNotCreated", message: `Job ${u.name} is about to be created` } };
  }
  return { phase: "Succeeded", done: true };
}

/**
 * A Job Kueue holds (suspended, spec.suspend false). It was evicted if it ran: its stopped pods are still there (the
 * operator's pod finalizer keeps them until their end is recorded, which is this very status write), or its Workload
 * says so, or an earlier write already said Evicted and Kueue has not admitted it since. Either way it runs again once
 * admitted. The message adds the Workload's reason in Kueue's words (operator/status/kueue.ts). A Workload Kueue
 * deactivated itself will never be admitted again: Failed. One someone else made inactive waits, and says how to go on.
 */
function queued(o: Observation, u: ObservedUnit, queue: string): Verdict {
  const wl = u.workload;
  const kueue = wl && workloadVerdict(wl);
  if (wl && kueue?.state === "deactivated") {
    const message = `Kueue deactivated Workload ${wl.metadata.name} of Job ${u.name} and admits it no more (${kueue.reason}: ${kueue.message})`;
    return { phase: "Failed", failure: { reason: REASON.kueueDeactivated, stage: u.unit.key, message }, done: true };
  }
  if (wl && kueue?.state === "inactive") {
    const patch = `kubectl patch workload ${wl.metadata.name} -n ${wl.metadata.namespace ?? ""} --type=merge -p '{"spec":{"active":true}}'`;
    return { phase: "Queued", blocked: { reason: REASON.workloadInactive, message: `Workload ${wl.metadata.name} of Job ${u.name} was made inactive (spec.active=false) outside memeops: Kueue admits it again once it is active (${patch})` } };
  }
  if (o.kueueMissing) return { phase: "Queued", blocked: { reason: REASON.queued, message: `Job ${u.name} names LocalQueue ${queue}, but the cluster served no Kueue Workloads when the operator started: install Kueue, then restart the operator` } };
  const ready = o.status.conditions?.find((c) => c.type === CONDITION.ready);
  const evicted = u.pods.length > 0 || kueue?.state === "evicted" || (o.status.phase === "Queued" && ready?.reason === REASON.evicted);
  const why = kueue && kueue.state !== "admitted" ? `: ${kueue.reason}: ${kueue.message}` : "";
  const blocked = evicted
    ? { reason: REASON.evicted, message: `Kueue evicted Job ${u.name} and stopped its pods; it runs again once LocalQueue ${queue} admits it${why}` }
    : { reason: REASON.queued, message: `Job ${u.name} waits for Kueue to admit it from LocalQueue ${queue}${why}` };
  return { phase: "Queued", blocked };
}

function conditionsFor(o: Observation, v: Verdict): ConditionInput[] {
  const is = (b: boolean): "True" | "False" => (b ? "True" : "False");
  const running = RUNNING.includes(v.phase);
  const list: ConditionInput[] = [
    {
      type: CONDITION.ready,
      status: is(running || v.phase === "Succeeded"),
      reason: v.phase === "Failed" ? (v.failure?.reason ?? "Failed") : (v.blocked?.reason ?? v.phase),
      message: v.failure?.message ?? v.blocked?.message ?? `phase ${v.phase}`,
    },
    { type: CONDITION.running, status: is(running), reason: running ? v.phase : (v.blocked?.reason ?? v.phase), message: running ? `stage ${o.status.progress?.stage ?? v.phase.toLowerCase()} is running` : (v.blocked?.message ?? `phase ${v.phase}`) },
    { type: CONDITION.succeeded, status: is(v.phase === "Succeeded"), reason: v.phase === "Succeeded" ? "AllStagesSucceeded" : v.phase, message: v.phase === "Succeeded" ? "every stage's Job completed" : "not (yet) succeeded" },
    ...(o.prune ? [{ type: CONDITION.pruned, status: "True" as const, reason: o.prune.rule === "stopped" ? "SweepStopped" : `${o.prune.rule[0]!.toUpperCase()}${o.prune.rule.slice(1)}Rule`, message: o.prune.message }] : []),
    { type: CONDITION.failed, status: is(v.phase === "Failed"), reason: v.failure?.reason ?? "NoFailure", message: v.failure?.message ?? "no failure" },
    { type: CONDITION.suspended, status: is(v.phase === "Suspended"), reason: v.phase === "Suspended" ? "SpecSuspended" : "NotSuspended", message: v.phase === "Suspended" ? "spec.suspend is true" : "spec.suspend is false or the experiment has finished" },
    {
      type: CONDITION.waitingForDependency,
      status: is(!!o.dependency && !o.dependency.ends),
      reason: o.dependency?.reason ?? "NoPendingDependency",
      message: o.dependency?.message ?? "nothing to wait for",
    },
    {
      type: CONDITION.invalidSpec,
      status: is(!!o.invalid),
      reason: o.invalid ? "InvalidSpec" : "SpecValid",
      message: o.invalid ? (v.failure?.message ?? "invalid") : "the spec passed the runtime checks",
    },
  ];
  if (o.tracking) {
    list.push(
      o.tracking.state === "ready"
        ? { type: CONDITION.trackingReady, status: "True", reason: "RunCreated", message: `MLflow run ${o.tracking.runId}` }
        : { type: CONDITION.trackingReady, status: "False", reason: "MlflowUnavailable", message: o.tracking.message.slice(0, 1024) },
    );
  }
  return list;
}

export function computeStatus(o: Observation): MemeExperimentStatus {
  const withResults = withTerminationResults(o.status, o.units, o.now);
  if (isTerminal(o.status) && !o.invalid) return withResults;
  const v = verdict(o);
  const conditions: Condition[] = setConditions(o.status.conditions, conditionsFor(o, v), o.generation, o.now);
  const jobs = o.units.filter((u) => u.job || o.status.jobs?.some((j) => j.name === u.name)).map((u) => ({ stage: u.unit.key, name: u.name }));
  // Recorded with the write that leaves Pending: the Job controller sets a Job's startTime a moment after the Job is
  // created, and a write for that alone (the experiment still Pending) was one write more per lifecycle. On a busy API
  // server the running pod can be seen before its Job's startTime: the pod's own startTime then, not a write later.
  const started = (u: ObservedUnit) => u.job?.status?.startTime ?? u.pods.map((p) => p.status?.startTime).filter(Boolean).sort()[0];
  const firstStart = v.phase === "Pending" || v.phase === "Queued" || v.phase === "Suspended" ? undefined : o.units.map(started).find(Boolean);
  const { failure: _f, completionTime: _c, ...rest } = withResults;
  const out: MemeExperimentStatus = {
    ...rest,
    phase: v.phase,
    ...(o.generation !== undefined && { observedGeneration: o.generation }),
    conditions,
    ...(jobs.length && { jobs }),
    ...((o.status.startTime ?? firstStart) && { startTime: o.status.startTime ?? firstStart }),
    ...(v.failure && { failure: v.failure }),
    ...(o.prune && { pruned: prunedStatus(o.prune) }),
    ...(v.done && { completionTime: o.now }),
  };
  if (o.tracking?.state === "ready") out.mlflow = { runId: o.tracking.runId, ...(o.tracking.url && { url: o.tracking.url }) };
  return out;
}

function prunedStatus(p: PruneRecord): NonNullable<MemeExperimentStatus["pruned"]> {
  return { rule: p.rule, epoch: p.epoch, ...(p.value !== null && { value: p.value }), ...(p.threshold !== null && { threshold: p.threshold }), compared: p.compared, message: p.message };
}

/**
 * Events for what went wrong between two statuses: a failure, a new blocking reason, MLflow becoming unreachable.
 * Warnings only: a normal transition (Pending, Training, Succeeded) is already in the status conditions with its
 * time, and each Event is one more write that every user of a CPU-bound API server pays for.
 */
export function transitionEvents(before: MemeExperimentStatus, after: MemeExperimentStatus): { type: "Warning"; reason: string; message: string }[] {
  const events: { type: "Warning"; reason: string; message: string }[] = [];
  if (before.phase !== after.phase && after.phase === "Failed") {
    const message = `${after.failure?.reason}: ${after.failure?.message}${after.failure?.exitCode !== undefined ? ` (exit code ${after.failure.exitCode})` : ""}`;
    events.push({ type: "Warning", reason: after.failure?.reason ?? "Failed", message });
  }
  const ready = (s: MemeExperimentStatus) => s.conditions?.find((c) => c.type === CONDITION.ready);
  const a = ready(after);
  const b = ready(before);
  const warn = ["Unschedulable", "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "DependencyFailed", "DependencyNotFound", "CreateContainerConfigError", REASON.evicted, REASON.workloadInactive];
  if (a && a.status === "False" && a.reason !== b?.reason && warn.includes(a.reason)) events.push({ type: "Warning", reason: a.reason, message: a.message });
  const t = (s: MemeExperimentStatus) => s.conditions?.find((c) => c.type === CONDITION.trackingReady);
  if (t(after)?.status === "False" && t(before)?.status !== "False") events.push({ type: "Warning", reason: "MlflowUnavailable", message: t(after)?.message ?? "" });
  return events;
}
