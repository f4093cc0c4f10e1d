// Test figures per source class. A binary label can merge classes (HarMeme: "somewhat" and "very harmful" are both
// 1); how the model treats each original class is what tells a user whether it misses the mild cases or the severe
// ones, which one AUROC over the merged label cannot say.
export interface ClassFigures {
  /** The source's class, as spec.dataset.layout.labels names it. */
  class: string;
  /** The binary label the class maps to. */
  label: number;
  count: number;
  /** Items predicted positive (probability >= threshold). */
  predictedPositive: number;
  /** predictedPositive / count. */
  predictedPositiveShare: number;
  meanProbability: number;
}

/** `classes[i]` is item i's class (undefined where it has none: such items are left out). Classes in first-seen order. */
export function figuresByClass(
  classes: readonly (string | undefined)[], probabilities: Float32Array, labels: Int32Array, threshold: number,
): ClassFigures[] {
  if (classes.length !== probabilities.length) throw new Error(`${classes.length} classes for ${probabilities.length} predictions`);
  const acc = new Map<string, { label: number; count: number; positive: number; sum: number }>();
  classes.forEach((cls, i) => {
    if (cls === undefined) return;
    const p = probabilities[i] as number;
    const a = acc.get(cls) ?? { label: labels[i] as number, count: 0, positive: 0, sum: 0 };
    a.count++;
    a.sum += p;
    if (p >= threshold) a.positive++;
    acc.set(cls, a);
  });
  return [...acc].map(([cls, a]) => ({
    class: cls,
    label: a.label,
    count: a.count,
    predictedPositive: a.positive,
    predictedPositiveShare: a.positive / a.count,
    meanProbability: a.sum / a.count,
  }));
}
