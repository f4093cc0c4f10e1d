// The best value each search algorithm finds at equal budgets on known functions (test/unit/search/objectives.ts):
// random search and TPE over many seeds (mean, median, worst of the per-seed best), grid search once (its first
// `budget` points; it has no seed). Sequential trials, no pruning.
//   npx tsx bench/search-tpe-vs-random.ts [--seeds 20] [--budgets 20,40,80]
import { parseArgs } from "node:util";
import { createAlgorithm, type AlgorithmConfig } from "../search/index.ts";
import { bestFound, branin, mixed, type Objective } from "../test/unit/search/objectives.ts";

const { values } = parseArgs({ options: { seeds: { type: "string", default: "20" }, budgets: { type: "string", default: "20,40,80" } } });
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
const budgets = values.budgets.split(",").map(Number);
if (!seeds.length || budgets.some((b) => !Number.isInteger(b) || b < 1)) throw new Error("--seeds and --budgets take positive integers");

const tpe = (seed: number, budget: number): AlgorithmConfig => ({ name: "tpe", seed, startupTrials: Math.min(10, Math.ceil(budget / 4)), candidates: 24, gamma: 0.25 });
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const f = (x: number) => x.toFixed(4).padStart(9);

/** The largest grid with at most `budget` points over the continuous dimensions (int/categorical take all values). */
function gridFor(o: Objective, budget: number): { config: AlgorithmConfig; size: number } {
  let points = 1;
  while (createAlgorithm({ name: "grid", pointsPerDimension: points + 1 }, o.space, o.direction).size! <= budget) points++;
  const config: AlgorithmConfig = { name: "grid", pointsPerDimension: points };
  return { config, size: createAlgorithm(config, o.space, o.direction).size! };
}

console.log(`best value found, ${seeds.length} seeds (random, TPE: startupTrials min(10, budget/4), candidates 24, gamma 0.25)`);
console.log(`${"function".padEnd(8)} ${"budget".padStart(6)} ${"algorithm".padEnd(9)} ${"mean".padStart(9)} ${"median".padStart(9)} ${"worst".padStart(9)}  optimum`);
for (const o of [branin, mixed]) {
  for (const budget of budgets) {
    for (const [name, config] of [["random", (seed: number) => ({ name: "random", seed }) as AlgorithmConfig], ["tpe", (seed: number) => tpe(seed, budget)]] as const) {
      const best = seeds.map((seed) => bestFound(config(seed), o, budget));
      const s = sorted(best);
      const worst = o.direction === "minimize" ? s.at(-1)! : s[0]!;
      console.log(`${o.name.padEnd(8)} ${String(budget).padStart(6)} ${name.padEnd(9)} ${f(best.reduce((a, b) => a + b, 0) / best.length)} ${f(s[s.length >> 1]!)} ${f(worst)}  ${o.optimum} (${o.direction})`);
    }
    const grid = gridFor(o, budget);
    const note = grid.size > budget ? ` (first ${budget} of ${grid.size} points)` : ` (${grid.size} points)`;
    console.log(`${o.name.padEnd(8)} ${String(budget).padStart(6)} ${"grid".padEnd(9)} ${f(bestFound(grid.config, o, budget))}${note}`);
  }
}
