// Early stopping on a validation metric: stop after `patience` epochs without improvement, or as soon as the best
// value is the metric's bound (AUROC, accuracy or F1 of 1, loss of 0): only a strictly better value replaces the
// best epoch, so nothing after that can change the result and the remaining epochs would be wasted. The best
// epoch's weights are what the run ends with. Plain data, so a checkpoint can carry it.
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

/** The best value no epoch can beat. */
const BOUND: Record<StoppingMetric, number> = { val_auroc: 1, val_accuracy: 1, val_f1: 1, val_loss: 0 };

/** Whether training should stop in this state (also what a resumed run asks of its checkpoint's state). */
export function shouldStop(state: EarlyStoppingState): boolean {
  if (state.epochsWithoutImprovement >= state.patience) return true;
  if (state.bestValue === null) return false;
  return higherIsBetter(state.metric) ? state.bestValue >= BOUND[state.metric] : state.bestValue <= BOUND[state.metric];
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
  return { state: next, improved: better, stop: shouldStop(next) };
}
