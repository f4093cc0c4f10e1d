// Kueue's side of the API: the labels a user (or a MemeSweep) puts on an experiment to queue its Jobs, which the
// operator copies to every Job it creates. Kueue reads them from the Job: the LocalQueue that admits it and the
// WorkloadPriorityClass that orders it in the queue (and lets it preempt), and the most seconds it may run admitted
// (Kueue's maximumExecutionTimeSeconds: past it Kueue deactivates the Workload, and the experiment ends Failed).
export const KUEUE_LABEL = {
  queueName: "kueue.x-k8s.io/queue-name",
  priorityClass: "kueue.x-k8s.io/priority-class",
  maxExecTimeSeconds: "kueue.x-k8s.io/max-exec-time-seconds",
} as const;
