// The ROC curve of labelled scores, as sklearn's roc_curve draws it: one point per distinct score (tied scores move
// FPR and TPR together, a diagonal step), from (0,0) to (1,1). The trapezoid area under these points equals the
// midrank AUROC of metrics.ts, ties included. Samples whose label is neither 0 nor 1 (unknown) are left out.
export interface RocPoint {
  fpr: number;
  tpr: number;
  /** "probability >= threshold" gives this point; Infinity for the (0,0) start */
  threshold: number;
}

export interface RocCurve {
  points: RocPoint[];
  positives: number;
  negatives: number;
  /** why there is no curve (points is empty), e.g. a split with one class */
  undefinedBecause?: string;
}

export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocCurve {
  const idx = [...Array(scores.length).keys()].filter((i) => labels[i] === 0 || labels[i] === 1);
  const positives = idx.filter((i) => labels[i] === 1).length;
  const negatives = idx.length - positives;
  if (positives === 0 || negatives === 0) {
    const why = idx.length === 0 ? "no sample has a known label" : `every labelled sample is ${positives ? "positive" : "negative"} (${idx.length} samples)`;
    return { points: [], positives, negatives, undefinedBecause: `ROC undefined: ${why}` };
  }
  const bad = idx.find((i) => !Number.isFinite(scores[i]!));
  if (bad !== undefined) return { points: [], positives, negatives, undefinedBecause: `ROC undefined: score ${scores[bad]} is not a number` };
  idx.sort((a, b) => scores[b]! - scores[a]!);
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Infinity }];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < idx.length; k++) {
    if (labels[idx[k]!] === 1) tp++;
    else fp++;
    const s = scores[idx[k]!]!;
    // a point only after the last of a run of tied scores
    if (k + 1 < idx.length && scores[idx[k + 1]!] === s) continue;
    points.push({ fpr: fp / negatives, tpr: tp / positives, threshold: s });
  }
  return { points, positives, negatives };
}

/** Trapezoid area under the points. */
export function areaUnder(points: RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) area += ((points[i]!.fpr - points[i - 1]!.fpr) * (points[i]!.tpr + points[i - 1]!.tpr)) / 2;
  return area;
}
