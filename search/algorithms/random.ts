// Random search: each trial's parameters are uniform draws (log-uniform for logUniform) from a stream seeded by
// (seed, trial index, parameter position), so trial i is the same whatever ran before it, in any process.
import { mixSeed, mulberry32 } from "../rng.ts";
import { drawUniform } from "../space.ts";
import type { AlgorithmConfig, Params, SearchAlgorithm, SearchParameter } from "../types.ts";

/** The random draw of trial `index` (TPE's startup trials are these too). */
export function randomParams(space: readonly SearchParameter[], seed: number, index: number): Params {
  return Object.fromEntries(space.map((p, d) => [p.path, drawUniform(p.domain, mulberry32(mixSeed(seed, index, d)))]));
}

export function createRandom(config: Extract<AlgorithmConfig, { name: "random" }>, space: readonly SearchParameter[]): SearchAlgorithm {
  return { suggest: (index) => randomParams(space, config.seed, index) };
}
