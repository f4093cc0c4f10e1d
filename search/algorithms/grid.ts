// Grid search: the product of every parameter's grid values, each point once, in a fixed order (the first parameter
// varies slowest, as itertools.product), then null.
import { gridValues } from "../space.ts";
import type { AlgorithmConfig, ParamValue, Params, SearchAlgorithm, SearchParameter } from "../types.ts";

export function createGrid(config: Extract<AlgorithmConfig, { name: "grid" }>, space: readonly SearchParameter[]): SearchAlgorithm {
  if (!Number.isInteger(config.pointsPerDimension) || config.pointsPerDimension < 1) {
    throw new RangeError(`grid: pointsPerDimension ${config.pointsPerDimension} must be an integer >= 1`);
  }
  const axes: ParamValue[][] = space.map((p) => gridValues(p.domain, config.pointsPerDimension));
  const size = axes.reduce((n, axis) => n * axis.length, 1);
  return {
    size,
    suggest(index) {
      if (!Number.isInteger(index) || index < 0 || index >= size) return null;
      const params: Params = {};
      // mixed-radix digits of the index, the last parameter's digit the least significant
      let rest = index;
      for (let d = space.length - 1; d >= 0; d--) {
        const axis = axes[d]!;
        params[space[d]!.path] = axis[rest % axis.length]!;
        rest = Math.floor(rest / axis.length);
      }
      return Object.fromEntries(space.map((p) => [p.path, params[p.path]!]));
    },
  };
}
