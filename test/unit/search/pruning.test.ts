// The early-stopping rules on hand-written recorded curves: exactly the trials the textbook rule stops, with ties,
// missing epochs (null: e.g. a one-class epoch without AUROC), warm-up, minTrials and both directions.
import { describe, expect, test } from "vitest";
import { decide, rungEpochs, type Curve, type Direction, type PrunerConfig } from "../../../search/index.ts";

const curve = (trial: string, values: (number | null)[]): Curve => ({ trial, values });

/**
 * Trials run one after the other; each is judged after every epoch against the trials before it (a pruned one
 * keeps the epochs it recorded). Returns the epoch each trial was pruned after, or null.
 */
function replay(config: PrunerConfig, direction: Direction, curves: Curve[]): Record<string, number | null> {
  const recorded: Curve[] = [];
  const out: Record<string, number | null> = {};
  for (const c of curves) {
    out[c.trial] = null;
    for (let epoch = 1; epoch <= c.values.length; epoch++) {
      if (decide(config, direction, c, recorded, epoch).prune) {
        out[c.trial] = epoch;
        break;
      }
    }
    recorded.push(curve(c.trial, c.values.slice(0, out[c.trial] ?? c.values.length)));
  }
  return out;
}

describe("median", () => {
  const others = [
    curve("a", [0.5, 0.6, 0.7, 0.8]),
    curve("b", [0.5, 0.62, 0.72, 0.82]),
    curve("c", [0.5, 0.64, 0.74, 0.84]),
    curve("d", [0.5, null, 0.76, 0.86]),
  ];
  const config: PrunerConfig = { name: "median", warmupEpochs: 1, minTrials: 3 };
  const at = (values: (number | null)[], epoch: number, c: PrunerConfig = config, dir: Direction = "maximize") => decide(c, dir, curve("t", values), others, epoch);

  test("below the median of the others at that epoch: pruned, with the numbers", () => {
    const d = at([0.4, 0.55], 2);
    expect(d).toMatchObject({ prune: true, rule: "median", epoch: 2, value: 0.55, threshold: 0.62, compared: 3 });
    expect(d.message).toBe("best value 0.5500 up to epoch 2 is below the median 0.6200 of 3 other trial(s) at epoch 2: pruned");
  });

  test("equal to the median is not pruned; an even count's median is the mean of the middle two", () => {
    expect(at([0.4, 0.62], 2)).toMatchObject({ prune: false, threshold: 0.62 });
    expect(at([0.4, 0.5, 0.73], 3)).toMatchObject({ prune: false, threshold: 0.73, compared: 4 });
    expect(at([0.4, 0.5, 0.7299], 3)).toMatchObject({ prune: true, threshold: 0.73 });
  });

  test("the trial's best value so far is judged, so a missing or worse epoch is covered by an earlier one", () => {
    expect(at([0.4, 0.75, null], 3)).toMatchObject({ prune: false, value: 0.75 });
    expect(at([0.4, 0.75, 0.1], 3)).toMatchObject({ prune: false, value: 0.75 });
  });

  test("warm-up epochs and too few other trials at that epoch decide nothing; nor does a trial with no value yet", () => {
    expect(at([0.0], 1)).toMatchObject({ prune: false, message: "epoch 1 is within the 1 warm-up epochs" });
    // d has no value at epoch 2: 3 trials count there, fewer than 4
    expect(at([0.0, 0.0], 2, { name: "median", warmupEpochs: 1, minTrials: 4 })).toMatchObject({ prune: false, compared: 3, message: "3 other trial(s) recorded epoch 2, fewer than minTrials 4" });
    expect(at([0.0, 0.0, 0.0], 3, { name: "median", warmupEpochs: 1, minTrials: 4 })).toMatchObject({ prune: true, compared: 4 });
    expect(at([null, null], 2)).toMatchObject({ prune: false, value: null, message: "no value recorded up to epoch 2" });
    // others that have not reached the epoch do not count
    expect(at([0.1, 0.1, 0.1, 0.1, 0.1], 5)).toMatchObject({ prune: false, compared: 0 });
  });

  test("minimize: above the median is pruned, the lowest value so far is the trial's best", () => {
    const losses = [curve("a", [0.9, 0.7, 0.5]), curve("b", [0.8, 0.6, 0.4]), curve("c", [0.7, 0.5, 0.3])];
    const c: PrunerConfig = { name: "median", warmupEpochs: 0, minTrials: 3 };
    expect(decide(c, "minimize", curve("t", [0.85, 0.65]), losses, 2)).toMatchObject({ prune: true, value: 0.65, threshold: 0.6 });
    expect(decide(c, "minimize", curve("t", [0.85, 0.6]), losses, 2)).toMatchObject({ prune: false, threshold: 0.6 });
    expect(decide(c, "minimize", curve("t", [0.35, 0.9, 0.9]), losses, 3)).toMatchObject({ prune: false, value: 0.35, threshold: 0.4 });
    expect(decide(c, "minimize", curve("t", [0.35, 0.9, 0.9]), losses, 3).message).toContain("not above the median");
  });

  test("trials in sequence: exactly the textbook ones are stopped, at the textbook epoch", () => {
    const curves = [
      curve("t0", [0.5, 0.6, 0.7, 0.8]),
      curve("t1", [0.5, 0.7, 0.8, 0.9]), // only one trial before it: never judged
      curve("t2", [0.4, 0.55, 0.6, 0.65]), // epoch 2: 0.55 < median(0.6, 0.7) = 0.65
      curve("t3", [0.6, 0.65, 0.66, 0.7]), // epoch 2: 0.65 >= 0.6; epoch 3: 0.66 < median(0.7, 0.8) = 0.75 (t2 stopped at 2)
      curve("t4", [null, null, 0.72, 0.95]), // no AUROC for two epochs: not judged; epoch 3: 0.72 >= 0.7; epoch 4: 0.95
      curve("t5", [0.5, 0.6, 0.7, 0.75]), // epoch 2: 0.6 < median(0.6, 0.7, 0.55, 0.65) = 0.625
    ];
    expect(replay({ name: "median", warmupEpochs: 1, minTrials: 2 }, "maximize", curves)).toEqual({ t0: null, t1: null, t2: 2, t3: 3, t4: null, t5: 2 });
    // no warm-up: t2 is judged at epoch 1 too (0.4 < median(0.5, 0.5))
    expect(replay({ name: "median", warmupEpochs: 0, minTrials: 2 }, "maximize", curves)).toMatchObject({ t2: 1 });
  });
});

describe("asha", () => {
  const config: PrunerConfig = { name: "asha", minEpochs: 1, reductionFactor: 3, maxEpochs: 9 };
  const others = [0.5, 0.6, 0.7, 0.8, 0.9].map((v, i) => curve(`o${i}`, [v, v, v]));
  const at = (values: (number | null)[], epoch: number, o: Curve[] = others, dir: Direction = "maximize") => decide(config, dir, curve("t", values), o, epoch);

  test("rungs at minEpochs * reductionFactor^k below maxEpochs", () => {
    expect(rungEpochs({ name: "asha", minEpochs: 1, reductionFactor: 3, maxEpochs: 9 })).toEqual([1, 3]);
    expect(rungEpochs({ name: "asha", minEpochs: 1, reductionFactor: 3, maxEpochs: 10 })).toEqual([1, 3, 9]);
    expect(rungEpochs({ name: "asha", minEpochs: 2, reductionFactor: 2, maxEpochs: 16 })).toEqual([2, 4, 8]);
    expect(rungEpochs({ name: "asha", minEpochs: 3, reductionFactor: 2, maxEpochs: 3 })).toEqual([]);
    expect(() => rungEpochs({ name: "asha", minEpochs: 1, reductionFactor: 1, maxEpochs: 9 })).toThrow(/reductionFactor 1 must be an integer >= 2/);
  });

  test("at a rung, outside the top floor(n / eta) of the n values there: pruned; equal to the cut-off: kept", () => {
    // n = 6, top 2: 0.9, 0.8
    const d = at([0.65], 1);
    expect(d).toMatchObject({ prune: true, rule: "asha", epoch: 1, value: 0.65, threshold: 0.8, compared: 5 });
    expect(d.message).toBe("value 0.6500 at rung 0 (epoch 1) is outside the top 2 of 6 (cut-off 0.8000): pruned");
    expect(at([0.8], 1)).toMatchObject({ prune: false, threshold: 0.8 });
    expect(at([0.95], 1)).toMatchObject({ prune: false, threshold: 0.9 });
  });

  test("between rungs nothing is decided; fewer than eta values: only the best so far goes on", () => {
    expect(at([0.1, 0.1], 2)).toMatchObject({ prune: false, threshold: null, message: "epoch 2 is not a rung (rungs at epochs 1, 3)" });
    expect(at([0.6], 1, [curve("o", [0.7])])).toMatchObject({ prune: true, threshold: 0.7 });
    expect(at([0.7], 1, [curve("o", [0.7])])).toMatchObject({ prune: false });
    expect(at([0.1], 1, [])).toMatchObject({ prune: false, compared: 0 });
  });

  test("a missing value at a rung is not judged, and others without one there do not compete", () => {
    expect(at([null], 1)).toMatchObject({ prune: false, value: null, message: "no value recorded at rung 0 (epoch 1)" });
    expect(at([0.6], 1, [curve("o1", [null]), curve("o2", [0.7])])).toMatchObject({ prune: true, compared: 1 });
  });

  test("minimize: the lowest values go on", () => {
    const losses = [0.5, 0.6, 0.7, 0.8, 0.9].map((v, i) => curve(`o${i}`, [v]));
    // n = 6, top 2: 0.5 and the lower of the trial's value and 0.6
    expect(at([0.65], 1, losses, "minimize")).toMatchObject({ prune: true, threshold: 0.6 });
    expect(at([0.6], 1, losses, "minimize")).toMatchObject({ prune: false, threshold: 0.6 });
    expect(at([0.45], 1, losses, "minimize")).toMatchObject({ prune: false, threshold: 0.5 });
  });

  test("trials in sequence: exactly the textbook ones are stopped, at the textbook rung", () => {
    const curves = [
      curve("t0", [0.5, 0.6, 0.7, 0.8]), // alone at each rung
      curve("t1", [0.4, 0.7, 0.8, 0.9]), // rung epoch 1: n = 2, only the best goes on: 0.4 < 0.5
      curve("t2", [0.5, 0.65, 0.7, 0.7]), // epoch 1: ties with 0.5; epoch 2: best of (0.6, 0.65)
      curve("t3", [0.6, 0.62, 0.9, 0.9]), // epoch 1: top 2 of 4; epoch 2: n = 3, top 1 is 0.65
      curve("t4", [null, 0.9, 0.9, 0.9]), // no value at epoch 1; epoch 2: top 2 of 4
    ];
    expect(replay({ name: "asha", minEpochs: 1, reductionFactor: 2, maxEpochs: 4 }, "maximize", curves)).toEqual({ t0: null, t1: 1, t2: null, t3: 2, t4: null });
  });
});

describe("bad configurations are refused, naming the field", () => {
  test.each<[PrunerConfig, number, RegExp]>([
    [{ name: "median", warmupEpochs: -1, minTrials: 1 }, 1, /median: warmupEpochs -1/],
    [{ name: "median", warmupEpochs: 0, minTrials: 0 }, 1, /median: minTrials 0/],
    [{ name: "asha", minEpochs: 0, reductionFactor: 3, maxEpochs: 9 }, 1, /asha: minEpochs 0/],
    [{ name: "median", warmupEpochs: 0, minTrials: 1 }, 0, /epoch 0 must be an integer >= 1/],
    [{ name: "hyperband" } as unknown as PrunerConfig, 1, /unknown early-stopping rule 'hyperband'/],
  ])("%#", (config, epoch, message) => {
    expect(() => decide(config, "maximize", curve("t", [1]), [], epoch)).toThrow(message);
  });
});
