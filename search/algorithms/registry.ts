// The search algorithms by name: adding one is one file and one line here.
import { checkSpace } from "../space.ts";
import type { AlgorithmConfig, Direction, SearchAlgorithm, SearchParameter } from "../types.ts";
import { createGrid } from "./grid.ts";
import { createRandom } from "./random.ts";
import { createTpe } from "./tpe.ts";

type Factory<N extends AlgorithmConfig["name"]> = (config: Extract<AlgorithmConfig, { name: N }>, space: readonly SearchParameter[], direction: Direction) => SearchAlgorithm;

const ALGORITHMS: { [N in AlgorithmConfig["name"]]: Factory<N> } = {
  grid: createGrid,
  random: createRandom,
  tpe: createTpe,
};

export const ALGORITHM_NAMES = Object.keys(ALGORITHMS) as AlgorithmConfig["name"][];

/** The algorithm a sweep names, over a checked space (a SearchSpaceError or RangeError names what is wrong). */
export function createAlgorithm(config: AlgorithmConfig, space: readonly SearchParameter[], direction: Direction): SearchAlgorithm {
  checkSpace(space);
  const factory = ALGORITHMS[config.name] as Factory<AlgorithmConfig["name"]> | undefined;
  if (!factory) throw new RangeError(`unknown search algorithm '${(config as { name: string }).name}' (known: ${ALGORITHM_NAMES.join(", ")})`);
  return factory(config, space, direction);
}
