// Which Kueue labels an experiment's Jobs carry. The queue is spec.scheduling.queueName, else the experiment's own
// kueue.x-k8s.io/queue-name label (what a MemeSweep sets on its trials); the priority class and the maximum execution
// time come from their labels (a time that is not a positive whole number of seconds is not passed on).
import { KUEUE_LABEL } from "../../api/contract/kueue.ts";
import type { MemeExperimentSpec } from "../../api/v1alpha1/spec.ts";

export function kueueLabels(labels: Record<string, string> | undefined, spec: Pick<MemeExperimentSpec, "scheduling">): Record<string, string> {
  const queue = spec.scheduling.queueName ?? labels?.[KUEUE_LABEL.queueName];
  const priority = labels?.[KUEUE_LABEL.priorityClass];
  const maxExec = labels?.[KUEUE_LABEL.maxExecTimeSeconds];
  return {
    ...(queue && { [KUEUE_LABEL.queueName]: queue }),
    ...(priority && { [KUEUE_LABEL.priorityClass]: priority }),
    ...(maxExec && /^[1-9][0-9]{0,8}$/.test(maxExec) && { [KUEUE_LABEL.maxExecTimeSeconds]: maxExec }),
  };
}

/** The LocalQueue that admits the experiment's Jobs; undefined when Kueue is not asked to. */
export const kueueQueue = (labels: Record<string, string> | undefined, spec: Pick<MemeExperimentSpec, "scheduling">): string | undefined =>
  kueueLabels(labels, spec)[KUEUE_LABEL.queueName];
