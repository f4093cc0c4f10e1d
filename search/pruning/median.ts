// The median stopping rule, as Optuna's MedianPruner (a PercentilePruner at 50) and Vizier's median automated stopping
// (Golovin et al., "Google Vizier", KDD 2017, section 3.2.2) state it: after epoch e, a trial whose best value up to e
// is strictly worse than the median of the other trials' values at epoch e is stopped. Re-evaluated at every epoch.
//  - warm-up: no decision in the first `warmupEpochs` epochs;
//  - minTrials: no decision unless at least that many other trials recorded a value at epoch e (trials that did not
//    reach e, or recorded nothing there, e.g. a one-class epoch without AUROC, are not counted);
//  - a true median: the middle value, or the mean of the two middle ones;
//  - ties: a value equal to the median is not pruned;
//  - a trial with no value at all up to e is not pruned (Optuna prunes NaN; here null means "not recorded", not bad).
import type { Curve, Direction, PruneDecision, PrunerConfig } from "../types.ts";
import { bestFirst, checkEpoch, fmt, othersAt, valueAt, worse } from "./curves.ts";

type MedianConfig = Extract<PrunerConfig, { name: "median" }>;

export function decideMedian(config: MedianConfig, direction: Direction, trial: Curve, others: readonly Curve[], epoch: number): PruneDecision {
  const { warmupEpochs, minTrials } = config;
  if (!Number.isInteger(warmupEpochs) || warmupEpochs < 0) throw new RangeError(`median: warmupEpochs ${warmupEpochs} must be an integer >= 0`);
  if (!Number.isInteger(minTrials) || minTrials < 1) throw new RangeError(`median: minTrials ${minTrials} must be an integer >= 1`);
  checkEpoch(epoch);
  const recorded = Array.from({ length: epoch }, (_, e) => valueAt(trial, e + 1)).filter((v): v is number => v !== null);
  const value = recorded.length ? bestFirst(direction, recorded)[0]! : null;
  const values = othersAt(others, epoch);
  const keep = (message: string, threshold: number | null = null): PruneDecision =>
    ({ prune: false, rule: "median", epoch, value, threshold, compared: values.length, message });
  if (epoch <= warmupEpochs) return keep(`epoch ${epoch} is within the ${warmupEpochs} warm-up epochs`);
  if (values.length < minTrials) return keep(`${values.length} other trial(s) recorded epoch ${epoch}, fewer than minTrials ${minTrials}`);
  const threshold = median(values);
  if (value === null) return keep(`no value recorded up to epoch ${epoch}`, threshold);
  const prune = worse(direction, value, threshold);
  const relation = prune ? (direction === "maximize" ? "below" : "above") : direction === "maximize" ? "not below" : "not above";
  return {
    prune, rule: "median", epoch, value, threshold, compared: values.length,
    message: `best value ${fmt(value)} up to epoch ${epoch} is ${relation} the median ${fmt(threshold)} of ${values.length} other trial(s) at epoch ${epoch}${prune ? ": pruned" : ""}`,
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
