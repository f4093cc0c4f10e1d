import { describe, expect, it } from "vitest";
import { accuracyAt, aurocMetric, bootstrapDifference, bootstrapInterval, macroF1At, quantile } from "../../../trainer-image/src/evaluation/bootstrap.ts";
import { mulberry32 } from "../../../trainer-image/src/common/rng.ts";

/** n items, ~35% positive, with probabilities that separate the classes by `signal` plus noise. */
function synthetic(n: number, signal: number, seed: number): { p: number[]; y: number[] } {
  const rand = mulberry32(seed);
  const y = Array.from({ length: n }, () => (rand() < 0.35 ? 1 : 0));
  const p = y.map((label) => Math.min(1, Math.max(0, 0.5 + (label ? signal : -signal) + (rand() - 0.5))));
  return { p, y };
}

describe("macro-F1", () => {
  it("matches sklearn f1_score(average='macro') on a known case", () => {
    // sklearn: f1_score([1,1,0,0,0], [1,0,0,0,1], average="macro") = (0.5 + 0.6667) / 2
    expect(macroF1At()([0.9, 0.1, 0.2, 0.3, 0.8], [1, 1, 0, 0, 0])).toBeCloseTo((0.5 + 2 / 3) / 2, 12);
  });
  it("is 1 for a perfect classifier and differs from the positive-class F1 otherwise", () => {
    expect(macroF1At()([0.9, 0.8, 0.1], [1, 1, 0])).toBe(1);
    expect(macroF1At()([0.9, 0.8, 0.6], [1, 1, 0])).toBeCloseTo((0.8 + 0) / 2, 12);
  });
});

describe("bootstrapInterval", () => {
  it("brackets the point estimate and narrows with more test items", () => {
    const small = synthetic(100, 0.2, 1);
    const large = synthetic(2000, 0.2, 1);
    const a = bootstrapInterval([small.p], small.y, aurocMetric, { resamples: 500 });
    const b = bootstrapInterval([large.p], large.y, aurocMetric, { resamples: 500 });
    expect(a.lo).toBeLessThan(a.mean);
    expect(a.hi).toBeGreaterThan(a.mean);
    expect(b.hi - b.lo).toBeLessThan((a.hi - a.lo) * 0.5); // ~1/sqrt(20) as wide
  });

  it("covers the true AUROC about 95% of the time", () => {
    // the true AUROC of this generator, estimated on a very large sample
    const truth = aurocMetric(...(Object.values(synthetic(200_000, 0.15, 99)) as [number[], number[]]));
    let covered = 0;
    const trials = 60;
    for (let t = 0; t < trials; t++) {
      const { p, y } = synthetic(300, 0.15, 1000 + t);
      const ci = bootstrapInterval([p], y, aurocMetric, { resamples: 400, seed: t });
      if (ci.lo <= truth && truth <= ci.hi) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.85);
    expect(covered / trials).toBeLessThanOrEqual(1);
  });

  it("averages over runs and reports their spread; is repeatable for one seed", () => {
    const { y, p } = synthetic(200, 0.2, 5);
    const flipped = p.map((v) => 1 - v);
    const ci = bootstrapInterval([p, flipped], y, accuracyAt(0.5), { resamples: 200, seed: 3 });
    const single = [accuracyAt(0.5)(p, y), accuracyAt(0.5)(flipped, y)];
    expect(ci.mean).toBeCloseTo((single[0]! + single[1]!) / 2, 12);
    expect(ci.sd).toBeCloseTo(Math.abs(single[0]! - single[1]!) / Math.SQRT2, 12);
    expect(bootstrapInterval([p, flipped], y, accuracyAt(0.5), { resamples: 200, seed: 3 })).toEqual(ci);
  });

  it("refuses runs of another length than the labels", () => {
    expect(() => bootstrapInterval([[0.1, 0.2]], [0, 1, 1], aurocMetric)).toThrow(/run 0 has 2 probabilities for 3 labels/);
  });

  it("quantile interpolates like numpy", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.025)).toBeCloseTo(1.075, 12);
  });
});

describe("bootstrapDifference", () => {
  it("is above 0 for a clearly better model, straddles 0 for the same model, and is paired", () => {
    const { y, p: weak } = synthetic(400, 0.05, 11);
    const strong = y.map((label, i) => 0.7 * (label ? 0.9 : 0.1) + 0.3 * weak[i]!);
    const better = bootstrapDifference([strong], [weak], y, aurocMetric, { resamples: 300 });
    expect(better.mean).toBeCloseTo(aurocMetric(strong, y) - aurocMetric(weak, y), 12);
    expect(better.lo).toBeGreaterThan(0);
    const same = bootstrapDifference([weak], [weak], y, aurocMetric, { resamples: 300 });
    // paired: a model against itself differs by exactly 0 on every resample
    expect([same.mean, same.lo, same.hi]).toEqual([0, 0, 0]);
  });
});
