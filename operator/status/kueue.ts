// What a Job's Kueue Workload says about it, in Kueue's own words: why it waits (no quota: "insufficient unused
// quota for nvidia.com/gpu in flavor f, 1 more needed"; "ClusterQueue q is inactive"), why it was evicted
// (Preempted, PodsReadyTimeout, ClusterQueueStopped, ...), and whether it was deactivated, by Kueue itself (its
// requeuing limit, maximumExecutionTimeSeconds: Kueue gives up on it) or by someone setting spec.active=false.
// Only the conditions' reasons and messages are read, never the podSets (the pod template, env included), and the
// message is bounded, so nothing of the Job's spec can reach the experiment's status.
import { DEACTIVATED_ANNOTATION, type WorkloadCondition, type WorkloadObject } from "../kube/workloads.ts";

export type KueueState =
  /** waiting for quota (or for Kueue to look at it) */
  | "waiting"
  /** admitted, ran, was evicted and waits to be admitted again */
  | "evicted"
  /** spec.active=false set by someone else than memeops: Kueue admits it no more until it is active again */
  | "inactive"
  /** Kueue deactivated it itself (requeuing limit, maximum execution time, rejected admission check): it gave up */
  | "deactivated"
  /** quota reserved and admitted */
  | "admitted";

export interface KueueVerdict {
  state: KueueState;
  /** Kueue's reason (CamelCase), e.g. Pending, Inadmissible, Preempted, DeactivatedDueToMaximumExecutionTimeExceeded */
  reason: string;
  /** Kueue's message, bounded to MAX_KUEUE_MESSAGE */
  message: string;
}

export const MAX_KUEUE_MESSAGE = 512;
/** Evicted reasons of a deactivation Kueue decided itself (`DeactivatedDueTo<cause>`; `InactiveWorkload...` before v0.9). */
const KUEUE_DEACTIVATION = /^(DeactivatedDueTo|InactiveWorkload)/;

const condition = (wl: WorkloadObject, type: string): WorkloadCondition | undefined => wl.status?.conditions?.find((c) => c.type === type);
const isTrue = (c: WorkloadCondition | undefined) => c?.status === "True";

/** One line, no control characters, at most MAX_KUEUE_MESSAGE characters. */
export function boundedMessage(text: string, max = MAX_KUEUE_MESSAGE): string {
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

const verdict = (state: KueueState, reason: string | undefined, message: string | undefined, fallback: string): KueueVerdict => ({
  state,
  reason: reason || fallback,
  message: boundedMessage(message || fallback),
});

/** The Workload's state and Kueue's reason for it; undefined when Kueue has written no condition yet. */
export function workloadVerdict(wl: WorkloadObject): KueueVerdict | undefined {
  const evicted = condition(wl, "Evicted");
  const target = condition(wl, "DeactivationTarget");
  if (wl.spec?.active === false) {
    if (wl.metadata.annotations?.[DEACTIVATED_ANNOTATION] === "true") return verdict("waiting", "Deactivated", "deactivated by memeops for spec.suspend", "Deactivated");
    // Kueue's own deactivation names its cause, in the DeactivationTarget condition (while it acts) or the Evicted reason.
    if (isTrue(target)) return verdict("deactivated", `DeactivatedDueTo${target!.reason ?? ""}`, isTrue(evicted) ? evicted!.message : target!.message, "Deactivated");
    if (isTrue(evicted) && KUEUE_DEACTIVATION.test(evicted!.reason ?? "")) return verdict("deactivated", evicted!.reason, evicted!.message, "Deactivated");
    return verdict("inactive", "Deactivated", isTrue(evicted) ? evicted!.message : undefined, "spec.active is false");
  }
  const reserved = condition(wl, "QuotaReserved");
  if (isTrue(reserved) && isTrue(condition(wl, "Admitted"))) return verdict("admitted", "Admitted", condition(wl, "Admitted")!.message, "Admitted");
  // Evicted and requeued: why it was evicted, then why it waits now (its requeuing backoff, or the quota again).
  if (isTrue(evicted) && evicted!.reason !== "Deactivated") {
    const requeued = condition(wl, "Requeued");
    const at = wl.status?.requeueState?.requeueAt;
    const after = requeued?.status === "False" && at ? `; requeued at ${at}` : reserved?.status === "False" && reserved.message ? `; now: ${reserved.message}` : "";
    return verdict("evicted", evicted!.reason, `${evicted!.message ?? ""}${after}`, "Evicted");
  }
  if (reserved) return verdict("waiting", reserved.reason, reserved.message, "Pending");
  return undefined;
}
