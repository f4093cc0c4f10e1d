// Early stopping on a validation metric: stop after `patience` epochs without improvement; the best epoch's
// weights are what the run ends with. Plain data, so a checkpoint can carry it.
import type { TrainingSpec } from "../../../api/v1alpha1/spec.ts";

export type StoppingMetric = TrainingSpec["earlyStopping"]["metric"];

export interface EarlyStoppingState {
  metric: StoppingMetric;
  patience: number;
  bestValue: number | null;
  bestEpoch: number | null;
  epochsWithoutImprovement: number;
}

export const higherIsBetter = (metric: StoppingMetric): boolean => metric !== "val_loss";

export function initialEarlyStopping(spec: TrainingSpec["earlyStopping"]): EarlyStoppingState {
  return { metric: spec.metric, patience: spec.patience, bestValue: null, bestEpoch: null, epochsWithoutImprovement: 0 };
}

/** Records one epoch's value. NaN (e.g. AUROC of a one-class split) never counts as an improvement. */
export function observe(
  state: EarlyStoppingState, epoch: number, value: number,
): { state: EarlyStoppingState; improved: boolean; stop: boolean } {
  const better = state.bestValue === null
    ? !Number.isNaN(value)
    : higherIsBetter(state.metric) ? value > state.bestValue : value < state.bestValue;
  const next: EarlyStoppingState = better
    ? { ...state, bestValue: value, bestEpoch: epoch, epochsWithoutImprovement: 0 }
    : { ...state, epochsWithoutImprovement: state.epochsWithoutImprovement + 1 };
  return { state: next, improved: better, stop: next.epochsWithoutImprovement >= next.patience };
}
