// The condition types of status.conditions: part of the API, since users wait on them (`kubectl wait
// --for=condition=Succeeded`) and alert on them; the operator's status computation sets them.
export const CONDITION = {
  ready: "Ready",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  suspended: "Suspended",
  waitingForDependency: "WaitingForDependency",
  invalidSpec: "InvalidSpec",
  trackingReady: "TrackingReady",
  /** a trial its MemeSweep stopped early: the rule, epoch, value and threshold in the message */
  pruned: "Pruned",
} as const;

export type ConditionType = (typeof CONDITION)[keyof typeof CONDITION];

/**
 * Reasons of the Ready and Running conditions (phase Queued) while Kueue holds an experiment's Job: waiting for its
 * first admission, or admitted, run and then evicted (preempted, the ClusterQueue stopped...) and waiting to be
 * admitted again; neither is a failure: the Job is re-run once Kueue admits it. Or its Workload was made inactive by
 * someone else than memeops (spec.active=false): it waits until someone makes it active again. The message carries
 * Kueue's own reason and words. kueueDeactivated is the failure reason (phase Failed) of a Job whose Workload Kueue
 * deactivated itself: it gave up on it (its requeuing limit, maximumExecutionTimeSeconds) and admits it no more.
 */
export const REASON = {
  queued: "Queued",
  evicted: "Evicted",
  workloadInactive: "WorkloadInactive",
  kueueDeactivated: "KueueDeactivated",
} as const;
