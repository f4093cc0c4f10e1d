import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { auroc, aurocUndefinedBecause, classificationReport, confusion, f1OptimalThreshold, rates } from "../../../trainer-image/src/evaluation/metrics.ts";

/** O(n^2) definition: P(score of a positive > score of a negative) + 1/2 P(equal). */
function pairwiseAuroc(scores: number[], labels: number[]): number {
  let sum = 0;
  let pairs = 0;
  scores.forEach((sp, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((sn, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      sum += sp > sn ? 1 : sp === sn ? 0.5 : 0;
    });
  });
  return sum / pairs;
}

describe("AUROC", () => {
  it("known cases (sklearn roc_auc_score)", () => {
    expect(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(auroc([0.5, 0.5, 0.2, 0.9], [0, 1, 0, 1])).toBe(0.875); // a tie counts one half
    expect(auroc([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1);
    expect(auroc([4, 3, 2, 1], [0, 0, 1, 1])).toBe(0);
  });

  it("all scores equal -> 0.5", () => {
    expect(auroc([0.3, 0.3, 0.3, 0.3, 0.3], [0, 1, 1, 0, 1])).toBe(0.5);
  });

  it("one class only -> NaN (undefined, not 0.5)", () => {
    expect(auroc([0.1, 0.9], [1, 1])).toBeNaN();
    expect(auroc([0.1, 0.9], [0, 0])).toBeNaN();
  });

  it("equals the pairwise definition, ties included", () => {
    const sample = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1 })), { minLength: 2, maxLength: 40 })
      .filter((rows) => rows.some(([, y]) => y === 1) && rows.some(([, y]) => y === 0));
    fc.assert(
      fc.property(sample, (rows) => {
        const scores = rows.map(([s]) => s / 5);
        const labels = rows.map(([, y]) => y);
        expect(auroc(scores, labels)).toBeCloseTo(pairwiseAuroc(scores, labels), 12);
      }),
    );
  });
});

describe("confusion matrix, rates, threshold", () => {
  const probs = [0.9, 0.6, 0.4, 0.2, 0.5];
  const labels = [1, 0, 1, 0, 1];

  it("counts with `probability >= threshold` as positive", () => {
    expect(confusion(probs, labels, 0.5)).toEqual({ tp: 2, fp: 1, fn: 1, tn: 1 });
    const r = rates({ tp: 2, fp: 1, fn: 1, tn: 1 });
    expect(r.accuracy).toBe(0.6);
    expect(r.precision).toBeCloseTo(2 / 3, 12);
    expect(r.recall).toBeCloseTo(2 / 3, 12);
    expect(r.f1).toBeCloseTo(2 / 3, 12);
  });

  it("undefined precision/recall/F1 are 0 (no predicted positives)", () => {
    expect(rates(confusion([0.1, 0.2], [1, 0], 0.5))).toEqual({ accuracy: 0.5, precision: 0, recall: 0, f1: 0 });
  });

  it("F1-optimal threshold", () => {
    // at 0.4 every positive is caught: tp 3, fp 1 -> F1 6/7, the best
    expect(f1OptimalThreshold(probs, labels)).toBe(0.4);
  });

  it("no AUROC for one class or a probability that is not a number, and the report says why", () => {
    expect(aurocUndefinedBecause([0.2, 0.9], [0, 0])).toBe("the labels hold one class only (0 positive, 2 negative)");
    expect(aurocUndefinedBecause([0.2, NaN, 0.4], [0, 1, 1])).toBe("the probability of sample 1 is NaN, not a number");
    expect(aurocUndefinedBecause([0.2, 0.9], [0, 1])).toBeUndefined();
    expect(auroc([0.2, NaN, 0.4, 0.1], [0, 1, 1, 0])).toBeNaN();
    const r = classificationReport([0.2, 0.9, 0.7], [1, 1, 1], 0.5);
    expect(r.auroc).toBeNaN();
    expect(r).toMatchObject({ accuracy: 2 / 3, recall: 2 / 3, undefinedBecause: { auroc: "the labels hold one class only (3 positive, 0 negative)" } });
    expect(classificationReport(probs, labels).undefinedBecause).toBeUndefined();
  });

  it("report fits status.ts TestResults", () => {
    const r = classificationReport(probs, labels, 0.5, 0.42);
    expect(r).toMatchObject({ threshold: 0.5, samples: 5, loss: 0.42, confusionMatrix: { tp: 2, fp: 1, fn: 1, tn: 1 } });
    expect(r.auroc).toBeCloseTo(pairwiseAuroc(probs, labels), 12);
  });
});
