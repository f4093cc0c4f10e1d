// Which Kueue labels an experiment's Jobs carry. The queue is spec.scheduling.queueName, else the experiment's own
// kueue.x-k8s.io/queue-name label (what a MemeSweep sets on its trials); the priority class comes from its label.
import { KUEUE_LABEL } from "../../api/contract/kueue.ts";
import type { MemeExperimentSpec } from "../../api/v1alpha1/spec.ts";

export function kueueLabels(labels: Record<string, string> | undefined, spec: Pick<MemeExperimentSpec, "scheduling">): Record<string, string> {
  const queue = spec.scheduling.queueName ?? labels?.[KUEUE_LABEL.queueName];
  const priority = labels?.[KUEUE_LABEL.priorityClass];
  return { ...(queue && { [KUEUE_LABEL.queueName]: queue }), ...(priority && { [KUEUE_LABEL.priorityClass]: priority }) };
}

/** The LocalQueue that admits the experiment's Jobs; undefined when Kueue is not asked to. */
export const kueueQueue = (labels: Record<string, string> | undefined, spec: Pick<MemeExperimentSpec, "scheduling">): string | undefined =>
  kueueLabels(labels, spec)[KUEUE_LABEL.queueName];
