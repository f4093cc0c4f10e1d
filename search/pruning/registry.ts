// The early-stopping rules by name: adding one is one file and one line here.
import type { Curve, Direction, PruneDecision, PrunerConfig } from "../types.ts";
import { decideAsha } from "./asha.ts";
import { decideMedian } from "./median.ts";

type Rule<N extends PrunerConfig["name"]> = (config: Extract<PrunerConfig, { name: N }>, direction: Direction, trial: Curve, others: readonly Curve[], epoch: number) => PruneDecision;

const RULES: { [N in PrunerConfig["name"]]: Rule<N> } = {
  median: decideMedian,
  asha: decideAsha,
};

/**
 * Whether `trial` should stop after `epoch` (1-based), given the curves of the other trials (whatever the caller
 * counts as comparable: finished, pruned and running ones). Pure: the same curves give the same decision.
 */
export function decide(config: PrunerConfig, direction: Direction, trial: Curve, others: readonly Curve[], epoch: number): PruneDecision {
  const rule = RULES[config.name] as Rule<PrunerConfig["name"]> | undefined;
  if (!rule) throw new RangeError(`unknown early-stopping rule '${(config as { name: string }).name}' (known: ${Object.keys(RULES).join(", ")})`);
  return rule(config, direction, trial, others, epoch);
}
