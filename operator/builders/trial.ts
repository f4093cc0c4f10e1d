// A sweep's trial i as the MemeExperiment the operator creates: the template's spec with the recorded parameters set
// by path, named `<sweep>-t0001`, labelled with its sweep and index (and the sweep's Kueue labels), owned by the sweep.
// Pure: the same sweep and parameters always give the same object, which makes creation idempotent.
import { API_VERSION, EXPERIMENT, SWEEP } from "../../api/v1alpha1/groupversion.ts";
import type { MemeExperimentSpec } from "../../api/v1alpha1/spec.ts";
import type { MemeSweepSpec } from "../../api/v1alpha1/sweep-spec.ts";
import { KUEUE_LABELS, PARENT_RUN_ANNOTATION, SWEEP_LABEL, TRIAL_INDEX_LABEL, trialName } from "../../api/contract/sweep.ts";

export interface SweepRef {
  name: string;
  namespace: string;
  uid: string;
  labels?: Record<string, string>;
  /** the sweep's MLflow run, the parent of the trials' runs */
  mlflowRunId?: string;
}

export function buildTrial(sweep: SweepRef, template: MemeSweepSpec["trialTemplate"], index: number, spec: MemeExperimentSpec, suspend: boolean) {
  const kueue = Object.fromEntries(KUEUE_LABELS.filter((k) => sweep.labels?.[k]).map((k) => [k, sweep.labels![k]!]));
  const queueName = kueue["kueue.x-k8s.io/queue-name"];
  return {
    apiVersion: API_VERSION,
    kind: EXPERIMENT.kind,
    metadata: {
      name: trialName(sweep.name, index),
      namespace: sweep.namespace,
      labels: { ...template.metadata?.labels, ...kueue, [SWEEP_LABEL]: sweep.name, [TRIAL_INDEX_LABEL]: String(index) },
      ...((template.metadata?.annotations || sweep.mlflowRunId) && {
        annotations: { ...template.metadata?.annotations, ...(sweep.mlflowRunId && { [PARENT_RUN_ANNOTATION]: sweep.mlflowRunId }) },
      }),
      ownerReferences: [{ apiVersion: API_VERSION, kind: SWEEP.kind, name: sweep.name, uid: sweep.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      ...spec,
      // The sweep's queue is the trials' queue, unless the template names one itself.
      ...(queueName && !spec.scheduling.queueName && { scheduling: { ...spec.scheduling, queueName } }),
      suspend,
    },
  };
}
