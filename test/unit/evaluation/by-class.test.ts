// Test figures per source class: what a merged binary label hides.
import { describe, expect, it } from "vitest";
import { figuresByClass } from "../../../trainer-image/src/evaluation/by-class.ts";

describe("figuresByClass", () => {
  it("counts, share predicted positive and mean probability of each class, in first-seen order", () => {
    const classes = ["not harmful", "very harmful", "somewhat harmful", "not harmful", "somewhat harmful", undefined];
    const p = Float32Array.of(0.2, 0.9, 0.4, 0.6, 0.5, 0.99);
    const labels = Int32Array.of(0, 1, 1, 0, 1, 1);
    const figures = figuresByClass(classes, p, labels, 0.5);
    expect(figures.map((f) => [f.class, f.label, f.count, f.predictedPositive])).toEqual([
      ["not harmful", 0, 2, 1],
      ["very harmful", 1, 1, 1],
      ["somewhat harmful", 1, 2, 1],
    ]);
    expect(figures[0]?.meanProbability).toBeCloseTo(0.4, 6);
    expect(figures[2]?.predictedPositiveShare).toBe(0.5);
  });

  it("refuses classes that do not line up with the predictions", () => {
    expect(() => figuresByClass(["a"], Float32Array.of(0.1, 0.2), Int32Array.of(0, 1), 0.5)).toThrow("1 classes for 2 predictions");
  });
});
