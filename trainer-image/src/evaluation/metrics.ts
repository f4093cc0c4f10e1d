// Binary classification metrics on probabilities of class 1 and 0/1 labels.
// AUROC is the Mann-Whitney U statistic with midranks, so tied scores count one half (all scores equal -> 0.5),
// as sklearn's roc_auc_score. A split with one class only, or a score that is not a number, has no AUROC: NaN, and
// aurocUndefinedBecause says which.
import type { TestResults } from "../../../api/v1alpha1/status.ts";

export interface Confusion {
  tp: number;
  tn: number;
  fp: number;
  fn: number;
}

/** Why these scores and labels have no AUROC; undefined when they have one. Labels other than 1 are negatives. */
export function aurocUndefinedBecause(scores: ArrayLike<number>, labels: ArrayLike<number>): string | undefined {
  let positives = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i]!)) return `the probability of sample ${i} is ${scores[i]}, not a number`;
    if (labels[i] === 1) positives++;
  }
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) return `the labels hold one class only (${positives} positive, ${negatives} negative)`;
  return undefined;
}

export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  // sorting by scores that are not numbers would give a number that means nothing
  if (aurocUndefinedBecause(scores, labels)) return NaN;
  const n = scores.length;
  const order = [...Array(n).keys()].sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let positiveRankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const midrank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        positiveRankSum += midrank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Predicted class 1 when probability >= threshold. */
export function confusion(probs: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): Confusion {
  const c = { tp: 0, tn: 0, fp: 0, fn: 0 };
  for (let i = 0; i < probs.length; i++) {
    const predicted = probs[i]! >= threshold;
    const actual = labels[i] === 1;
    if (predicted && actual) c.tp++;
    else if (predicted) c.fp++;
    else if (actual) c.fn++;
    else c.tn++;
  }
  return c;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Precision, recall and F1 are 0 when undefined (no predicted or no actual positives), as sklearn's zero_division=0. */
export function rates(c: Confusion) {
  const precision = ratio(c.tp, c.tp + c.fp);
  const recall = ratio(c.tp, c.tp + c.fn);
  return {
    accuracy: ratio(c.tp + c.tn, c.tp + c.tn + c.fp + c.fn),
    precision,
    recall,
    f1: ratio(2 * precision * recall, precision + recall),
  };
}

/**
 * The threshold that maximises F1 on these (validation) predictions: the candidates are the distinct scores, the
 * decision being "probability >= threshold". Ties in F1 go to the threshold closest to 0.5. Choose it on the
 * validation split and apply it unchanged to the test split; choosing it on the test split would overstate F1.
 */
export function f1OptimalThreshold(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  const candidates = [...new Set(Array.from(probs))].sort((a, b) => a - b);
  let best = { threshold: 0.5, f1: -1 };
  for (const t of candidates) {
    const f1 = rates(confusion(probs, labels, t)).f1;
    if (f1 > best.f1 || (f1 === best.f1 && Math.abs(t - 0.5) < Math.abs(best.threshold - 0.5))) best = { threshold: t, f1 };
  }
  return best.threshold;
}

/** The status.ts TestResults of labelled predictions. */
export function classificationReport(
  probs: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5, loss?: number,
): TestResults {
  const c = confusion(probs, labels, threshold);
  const undefinedAuroc = aurocUndefinedBecause(probs, labels);
  return {
    auroc: undefinedAuroc ? NaN : auroc(probs, labels),
    ...rates(c),
    ...(loss === undefined ? {} : { loss }),
    threshold,
    samples: probs.length,
    confusionMatrix: c,
    ...(undefinedAuroc && { undefinedBecause: { auroc: undefinedAuroc } }),
  };
}
