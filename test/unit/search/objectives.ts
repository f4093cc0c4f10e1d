// Known test functions for the search algorithms (shared with bench/search-tpe-vs-random.ts), and a sequential
// search loop over one of them.
import type { AlgorithmConfig, Direction, Observation, Params, SearchParameter } from "../../../search/index.ts";
import { createAlgorithm } from "../../../search/index.ts";

export interface Objective {
  name: string;
  space: SearchParameter[];
  direction: Direction;
  f(p: Params): number;
  /** the known optimum */
  optimum: number;
}

const num = (p: Params, k: string) => p[k] as number;

/** Branin-Hoo on [-5, 10] x [0, 15]: three global minima of 0.397887. */
export const branin: Objective = {
  name: "branin",
  space: [
    { path: "x", domain: { kind: "uniform", min: -5, max: 10 } },
    { path: "y", domain: { kind: "uniform", min: 0, max: 15 } },
  ],
  direction: "minimize",
  f: (p) => {
    const x = num(p, "x");
    const y = num(p, "y");
    const b = 5.1 / (4 * Math.PI ** 2);
    return (y - b * x * x + (5 / Math.PI) * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10;
  },
  optimum: 0.397887,
};

/**
 * A validation score shaped like a learning-rate / width sweep: best at lr 3e-3 (log scale) and 96 units, with a
 * categorical choice; maximised. Mixed domains: logUniform, int with a step, categorical.
 */
export const mixed: Objective = {
  name: "mixed",
  space: [
    { path: "lr", domain: { kind: "logUniform", min: 1e-5, max: 1e-1 } },
    { path: "width", domain: { kind: "int", min: 16, max: 256, step: 16 } },
    { path: "optimizer", domain: { kind: "categorical", values: ["sgd", "adam", "adamw"] } },
  ],
  direction: "maximize",
  f: (p) => {
    const dl = Math.log10(num(p, "lr")) - Math.log10(3e-3);
    const dw = (num(p, "width") - 96) / 64;
    const bonus = { sgd: 0, adam: 0.05, adamw: 0.08 }[p.optimizer as string]!;
    return 0.9 * Math.exp(-dl * dl - dw * dw) + bonus;
  },
  optimum: 0.98,
};

/** Run `budget` trials one after the other; the best value found. */
export function bestFound(config: AlgorithmConfig, objective: Objective, budget: number): number {
  const algorithm = createAlgorithm(config, objective.space, objective.direction);
  const observations: Observation[] = [];
  for (let i = 0; i < budget; i++) {
    const params = algorithm.suggest(i, observations);
    if (!params) break;
    observations.push({ index: i, params, value: objective.f(params) });
  }
  const values = observations.map((o) => o.value!);
  return objective.direction === "minimize" ? Math.min(...values) : Math.max(...values);
}
