// Why a Job failed, in the words a user acts on: OOMKilled with 137, DeadlineExceeded, the exit code of the last
// attempt, image pull errors, GPUs the scheduler could not find. Reads the Job's own verdict first (it survives its
// pods), then the pods for the container's exit code.
import type { MemeExperimentStatus } from "../../api/v1alpha1/status.ts";
import { REASON } from "../../api/contract/conditions.ts";
import { CONTAINER } from "../builders/job.ts";
import { jobCondition, type ContainerState, type JobObject, type PodObject } from "../kube/types.ts";
import { DEPENDENCY_REASON } from "./dependency.ts";

export type Failure = NonNullable<MemeExperimentStatus["failure"]>;

/**
 * The values status.failure.reason can take that are known before anything fails: the operator's own, and the
 * reasons of a Job's Failed condition that it passes on (Kubernetes 1.33's). memeops_experiment_failures_total
 * exports each at 0 from the start, so Prometheus' increase() also counts the first failure of a reason.
 */
export const FAILURE_REASONS = [
  "InvalidSpec",
  "JobDeleted",
  "OOMKilled",
  REASON.evicted,
  REASON.kueueDeactivated,
  "DeadlineExceeded",
  "BackoffLimitExceeded",
  "PodFailurePolicy",
  "MaxFailedIndexesExceeded",
  "FailedIndexes",
  "JobFailed",
  DEPENDENCY_REASON.cycle,
  DEPENDENCY_REASON.deleted,
  DEPENDENCY_REASON.failed,
  DEPENDENCY_REASON.withoutCheckpoint,
] as const;

function trainerState(pod: PodObject): ContainerState | undefined {
  const c = pod.status?.containerStatuses?.find((s) => s.name === CONTAINER) ?? pod.status?.containerStatuses?.[0];
  return c?.state?.terminated ? c.state : (c?.lastState ?? c?.state);
}

const byCreation = (a: PodObject, b: PodObject) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "");

/** The failure of a Job that has the Failed condition; undefined while it has not failed. */
export function jobFailure(job: JobObject, pods: readonly PodObject[], stage: string): Failure | undefined {
  const failed = jobCondition(job, "Failed");
  if (!failed) return undefined;
  const attempts = job.status?.failed ?? 0;
  const last = [...pods].filter((p) => p.status?.phase === "Failed").sort(byCreation).at(-1);
  const terminated = last && trainerState(last)?.terminated;
  const exit = terminated ? ` (container exit code ${terminated.exitCode}${terminated.reason ? `, ${terminated.reason}` : ""})` : "";
  const base = { stage, ...(terminated && { exitCode: terminated.exitCode }) };
  if (failed.reason === "DeadlineExceeded") {
    return { ...base, reason: "DeadlineExceeded", message: `Job ${job.metadata.name} ran past runtime.activeDeadlineSeconds${exit}: ${failed.message ?? ""}`.trim() };
  }
  // The pod was taken away (preempted, drained, its node lost): not the trainer's failure, so a sweep re-runs the
  // trial with the same parameters instead of charging it (Kubernetes marks such pods with DisruptionTarget).
  const disruption = last?.status?.conditions?.find((c) => c.type === "DisruptionTarget" && c.status === "True");
  if (disruption) {
    const why = `${disruption.reason ?? "disrupted"}${disruption.message ? `: ${disruption.message}` : ""}`;
    return { ...base, reason: REASON.evicted, message: `Job ${job.metadata.name}'s pod ${last!.metadata.name} was evicted (${why.slice(0, 500)}) after ${attempts} attempt(s)` };
  }
  if (terminated?.reason === "OOMKilled" || terminated?.exitCode === 137 && terminated.reason === "OOMKilled") {
    return { ...base, reason: "OOMKilled", message: `the trainer ran out of memory (exit code 137) after ${attempts} attempt(s); raise spec.resources.memory` };
  }
  const detail = terminated?.message ? `: ${terminated.message.slice(0, 1000)}` : "";
  return {
    ...base,
    reason: failed.reason ?? "JobFailed",
    message: `Job ${job.metadata.name} failed after ${attempts} attempt(s)${exit}${detail}`,
  };
}

const IMAGE_ERRORS = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError"]);

/** Why a live Job makes no progress (its pod cannot be scheduled or its image pulled), if it does not. */
export function blockedReason(pods: readonly PodObject[]): { reason: string; message: string } | undefined {
  for (const pod of [...pods].sort(byCreation).reverse()) {
    if (pod.metadata.deletionTimestamp || pod.status?.phase !== "Pending") continue;
    const sched = pod.status.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
    if (sched?.reason === "Unschedulable") return { reason: "Unschedulable", message: `pod ${pod.metadata.name}: ${sched.message ?? "unschedulable"}` };
    const waiting = pod.status.containerStatuses?.find((c) => c.state?.waiting && IMAGE_ERRORS.has(c.state.waiting.reason ?? ""))?.state?.waiting;
    if (waiting) return { reason: waiting.reason ?? "ImagePullBackOff", message: `pod ${pod.metadata.name}: ${waiting.message ?? waiting.reason}` };
  }
  return undefined;
}
