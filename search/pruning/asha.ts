// Asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020),
// as Optuna's SuccessiveHalvingPruner applies it to trials that cannot be paused: rungs at epochs
// minEpochs * reductionFactor^k (k = 0, 1, ...) below maxEpochs. When a trial reaches a rung, its value there is ranked
// with every other trial's value at that rung; it goes on if it is among the top floor(n / reductionFactor) of the n
// values (itself included), or, while n < reductionFactor, if it is the best so far; otherwise it is stopped.
//  - ties: a value equal to the last kept one goes on;
//  - other trials without a value at the rung (not there yet, or a one-class epoch without AUROC) do not compete;
//  - a trial without a value at the rung is not judged there (Optuna prunes NaN; here null means "not recorded");
//  - between rungs nothing is decided.
import type { Curve, Direction, PruneDecision, PrunerConfig } from "../types.ts";
import { bestFirst, checkEpoch, fmt, othersAt, valueAt, worse } from "./curves.ts";

type AshaConfig = Extract<PrunerConfig, { name: "asha" }>;

/** The rung epochs: minEpochs * reductionFactor^k below maxEpochs (the last epoch ends the trial anyway). */
export function rungEpochs(config: AshaConfig): number[] {
  const { minEpochs, reductionFactor, maxEpochs } = config;
  if (!Number.isInteger(minEpochs) || minEpochs < 1) throw new RangeError(`asha: minEpochs ${minEpochs} must be an integer >= 1`);
  if (!Number.isInteger(reductionFactor) || reductionFactor < 2) throw new RangeError(`asha: reductionFactor ${reductionFactor} must be an integer >= 2`);
  if (!Number.isInteger(maxEpochs) || maxEpochs < 1) throw new RangeError(`asha: maxEpochs ${maxEpochs} must be an integer >= 1`);
  const rungs: number[] = [];
  for (let e = minEpochs; e < maxEpochs; e *= reductionFactor) rungs.push(e);
  return rungs;
}

export function decideAsha(config: AshaConfig, direction: Direction, trial: Curve, others: readonly Curve[], epoch: number): PruneDecision {
  const rungs = rungEpochs(config);
  checkEpoch(epoch);
  const value = valueAt(trial, epoch);
  const rung = rungs.indexOf(epoch);
  const keep = (message: string, threshold: number | null = null, compared = 0): PruneDecision =>
    ({ prune: false, rule: "asha", epoch, value, threshold, compared, message });
  if (rung < 0) return keep(`epoch ${epoch} is not a rung (rungs at epochs ${rungs.join(", ") || "none"})`);
  const values = othersAt(others, epoch);
  if (value === null) return keep(`no value recorded at rung ${rung} (epoch ${epoch})`, null, values.length);
  const n = values.length + 1;
  const kept = Math.max(1, Math.floor(n / config.reductionFactor));
  const threshold = bestFirst(direction, [value, ...values])[kept - 1]!;
  const prune = worse(direction, value, threshold);
  return {
    prune, rule: "asha", epoch, value, threshold, compared: values.length,
    message: `value ${fmt(value)} at rung ${rung} (epoch ${epoch}) is ${prune ? "outside" : "within"} the top ${kept} of ${n} (cut-off ${fmt(threshold)})${prune ? ": pruned" : ""}`,
  };
}
