// The MLflow experiment an experiment's runs go to, one rule for the operator (which creates the run), the trainer
// in a Job (which finds it) and `memeops run`: spec.tracking.experimentName, else the namespace, else "memeops"
// (a file run with `memeops run` usually has no namespace). The schema's description of the field says the same.
import type { MemeExperimentSpec } from "../v1alpha1/spec.ts";

export const DEFAULT_MLFLOW_EXPERIMENT = "memeops";

export function mlflowExperimentName(metadata: { namespace?: string | undefined }, spec: Pick<MemeExperimentSpec, "tracking">): string {
  return spec.tracking.experimentName || metadata.namespace || DEFAULT_MLFLOW_EXPERIMENT;
}
