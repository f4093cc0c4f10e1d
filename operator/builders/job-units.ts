// How an experiment's stages map onto Jobs. Checkpoints and the feature cache live under spec.dataset.storage.path:
// with a PersistentVolumeClaim they survive between Jobs, so each stage gets its own Job (retried and reported on its
// own); without one that directory is an emptyDir, which dies with the pod, so ALL stages run in ONE Job ("run").
import type { MemeExperimentSpec } from "../../api/v1alpha1/spec.ts";
import { stagesFor, type Stage } from "../../api/contract/stages.ts";

export interface JobUnit {
  /** Job name suffix and status.jobs[].stage: a stage name, or "run" for the all-stages Job */
  key: string;
  stages: Stage[];
}

export const ALL_STAGES_KEY = "run";

export function jobUnitsFor(spec: Pick<MemeExperimentSpec, "mode" | "dataset">): JobUnit[] {
  const stages = stagesFor(spec);
  if (spec.dataset.storage.volumeClaim) return stages.map((s) => ({ key: s, stages: [s] }));
  return [{ key: ALL_STAGES_KEY, stages }];
}
