// The search algorithms: deterministic by seed, domains respected, grid's product exactly once, TPE better than
// random on known functions at the same budget.
import { describe, expect, test } from "vitest";
import { createAlgorithm, type AlgorithmConfig, type Observation, type Params, type SearchParameter } from "../../../search/index.ts";
import { branin, bestFound, mixed } from "./objectives.ts";

const space: SearchParameter[] = [
  { path: "training.learningRate", domain: { kind: "logUniform", min: 1e-5, max: 1e-2 } },
  { path: "training.batchSize", domain: { kind: "int", min: 8, max: 64, step: 8 } },
  { path: "model.size", domain: { kind: "categorical", values: ["tiny", "small", "base"] } },
  { path: "training.dropout", domain: { kind: "uniform", min: 0, max: 0.5 } },
  { path: "training.warmup", domain: { kind: "categorical", values: [true, false] } },
];

const tpe = (seed: number): AlgorithmConfig => ({ name: "tpe", seed, startupTrials: 5, candidates: 24, gamma: 0.25 });

/** A made-up objective over `space`, so TPE has a model to fit. */
const score = (p: Params) => -Math.abs(Math.log10(p["training.learningRate"] as number) + 3) - (p["training.batchSize"] as number) / 100 + (p["model.size"] === "small" ? 0.5 : 0);

function sequence(config: AlgorithmConfig, n: number, s = space): Params[] {
  const algorithm = createAlgorithm(config, s, "maximize");
  const observations: Observation[] = [];
  for (let i = 0; i < n; i++) {
    const params = algorithm.suggest(i, observations);
    if (!params) break;
    // every third trial fails: failures are observations too (value null)
    observations.push({ index: i, params, value: i % 3 === 2 ? null : score(params) });
  }
  return observations.map((o) => o.params);
}

describe.each<[string, (seed: number) => AlgorithmConfig]>([
  ["random", (seed) => ({ name: "random", seed })],
  ["tpe", tpe],
])("%s", (_, config) => {
  test("the same seed gives the same sequence; another seed another one", () => {
    const a = sequence(config(1), 20);
    expect(sequence(config(1), 20)).toEqual(a);
    expect(sequence(config(2), 20)).not.toEqual(a);
    // no two trials alike
    expect(new Set(a.map((p) => JSON.stringify(p))).size).toBe(20);
  });

  test("suggest is a pure function of (index, observations): asked again out of order, it answers the same", () => {
    const algorithm = createAlgorithm(config(7), space, "maximize");
    const observations: Observation[] = sequence(config(7), 12).map((params, index) => ({ index, params, value: score(params) }));
    const forward = [12, 13, 14].map((i) => algorithm.suggest(i, observations));
    const fresh = createAlgorithm(config(7), space, "maximize");
    expect([14, 12, 13].map((i) => fresh.suggest(i, [...observations].reverse()))).toEqual([forward[2], forward[0], forward[1]]);
  });

  test("every value lies in its domain: ints on their step, logUniform within bounds, categorical values only", () => {
    for (const p of sequence(config(3), 60)) {
      const lr = p["training.learningRate"] as number;
      expect(lr).toBeGreaterThanOrEqual(1e-5);
      expect(lr).toBeLessThanOrEqual(1e-2);
      const bs = p["training.batchSize"] as number;
      expect(Number.isInteger(bs) && bs >= 8 && bs <= 64 && (bs - 8) % 8 === 0).toBe(true);
      expect(["tiny", "small", "base"]).toContain(p["model.size"]);
      expect([true, false]).toContain(p["training.warmup"]);
      const dropout = p["training.dropout"] as number;
      expect(dropout >= 0 && dropout <= 0.5).toBe(true);
    }
  });

  test("logUniform draws spread over the decades, not crowded at the top", () => {
    const decades = sequence(config(5), 60).map((p) => Math.floor(Math.log10(p["training.learningRate"] as number)));
    expect(new Set(decades)).toEqual(new Set([-5, -4, -3]));
  });
});

describe("random", () => {
  test("an int domain whose range is not a multiple of its step never goes past max", () => {
    const s: SearchParameter[] = [{ path: "n", domain: { kind: "int", min: 1, max: 10, step: 4 } }];
    const values = new Set(sequence({ name: "random", seed: 1 }, 50, s).map((p) => p.n));
    expect(values).toEqual(new Set([1, 5, 9]));
  });
});

describe("grid", () => {
  const gridSpace: SearchParameter[] = [
    { path: "lr", domain: { kind: "logUniform", min: 1e-4, max: 1e-2 } },
    { path: "layers", domain: { kind: "int", min: 1, max: 3, step: 1 } },
    { path: "size", domain: { kind: "categorical", values: ["tiny", "small"] } },
    { path: "dropout", domain: { kind: "uniform", min: 0, max: 0.2 } },
  ];

  test("covers the product exactly once, then answers null", () => {
    const algorithm = createAlgorithm({ name: "grid", pointsPerDimension: 3 }, gridSpace, "maximize");
    expect(algorithm.size).toBe(3 * 3 * 2 * 3);
    const points = Array.from({ length: algorithm.size! }, (_, i) => algorithm.suggest(i, []));
    const keys = points.map((p) => JSON.stringify(p));
    expect(new Set(keys).size).toBe(54);
    const product = [1e-4, 1e-3, 1e-2].flatMap((lr) => [1, 2, 3].flatMap((layers) => ["tiny", "small"].flatMap((size) =>
      [0, 0.1, 0.2].map((dropout) => ({ lr, layers, size, dropout })))));
    expect(points.map((p) => ({ ...p, lr: Number((p!.lr as number).toPrecision(12)) }))).toEqual(product);
    expect(algorithm.suggest(54, [])).toBeNull();
    expect(algorithm.suggest(1000, [])).toBeNull();
  });

  test("one point per dimension is the middle (the geometric middle for logUniform); equal ends give one point", () => {
    const algorithm = createAlgorithm({ name: "grid", pointsPerDimension: 1 }, [gridSpace[0]!, { path: "d", domain: { kind: "uniform", min: 0.3, max: 0.3 } }], "maximize");
    expect(algorithm.size).toBe(1);
    expect(algorithm.suggest(0, [])!.lr).toBeCloseTo(1e-3, 12);
    expect(algorithm.suggest(0, [])!.d).toBe(0.3);
    expect(createAlgorithm({ name: "grid", pointsPerDimension: 4 }, [{ path: "d", domain: { kind: "uniform", min: 1, max: 1 } }], "maximize").size).toBe(1);
  });
});

describe("bad configurations and spaces are refused, naming what is wrong", () => {
  test.each<[SearchParameter[], AlgorithmConfig, RegExp]>([
    [[{ path: "lr", domain: { kind: "logUniform", min: 0, max: 1 } }], { name: "random", seed: 1 }, /parameter lr: logUniform: min 0 must be above 0/],
    [[{ path: "n", domain: { kind: "int", min: 1, max: 5, step: 0 } }], { name: "random", seed: 1 }, /parameter n: int: step 0 must be an integer >= 1/],
    [[{ path: "n", domain: { kind: "int", min: 1.5, max: 5, step: 1 } }], { name: "random", seed: 1 }, /parameter n: int: min and max must be integers/],
    [[{ path: "x", domain: { kind: "uniform", min: 2, max: 1 } }], { name: "random", seed: 1 }, /parameter x: uniform: min 2 is above max 1/],
    [[{ path: "c", domain: { kind: "categorical", values: [] } }], { name: "random", seed: 1 }, /parameter c: categorical: values is empty/],
    [[{ path: "c", domain: { kind: "categorical", values: ["a", "a"] } }], { name: "random", seed: 1 }, /values holds a value twice/],
    [[{ path: "x", domain: { kind: "uniform", min: 0, max: 1 } }, { path: "x", domain: { kind: "uniform", min: 0, max: 1 } }], { name: "random", seed: 1 }, /parameter x: searched twice/],
    [[], { name: "random", seed: 1 }, /no parameters/],
    [branin.space, { name: "grid", pointsPerDimension: 0 }, /pointsPerDimension 0/],
    [branin.space, { name: "tpe", seed: 1, startupTrials: 5, candidates: 24, gamma: 1 }, /gamma 1/],
    [branin.space, { name: "tpe", seed: 1, startupTrials: 5, candidates: 0, gamma: 0.25 }, /candidates 0/],
    [branin.space, { name: "anneal", seed: 1 } as unknown as AlgorithmConfig, /unknown search algorithm 'anneal'/],
  ])("%#: %s", (s, config, message) => {
    expect(() => createAlgorithm(config, s, "maximize")).toThrow(message);
  });
});

describe("TPE against random search at the same budget, averaged over 12 seeds", () => {
  const seeds = Array.from({ length: 12 }, (_, i) => i + 1);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  test("Branin (minimise), 40 trials: TPE's mean best is lower", () => {
    const random = mean(seeds.map((seed) => bestFound({ name: "random", seed }, branin, 40)));
    const model = mean(seeds.map((seed) => bestFound({ name: "tpe", seed, startupTrials: 10, candidates: 24, gamma: 0.25 }, branin, 40)));
    expect(model).toBeLessThan(random);
  });

  test("a mixed log/int/categorical space (maximise), 30 trials: TPE's mean best is higher", () => {
    const random = mean(seeds.map((seed) => bestFound({ name: "random", seed }, mixed, 30)));
    const model = mean(seeds.map((seed) => bestFound({ name: "tpe", seed, startupTrials: 8, candidates: 24, gamma: 0.25 }, mixed, 30)));
    expect(model).toBeGreaterThan(random);
  });

  test("the first startupTrials suggestions are random search's", () => {
    const random = sequence({ name: "random", seed: 9 }, 5);
    expect(sequence(tpe(9), 5)).toEqual(random);
    expect(sequence(tpe(9), 6)[5]).not.toEqual(sequence({ name: "random", seed: 9 }, 6)[5]);
  });
});
