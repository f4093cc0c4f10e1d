// How a sweep ends: phase, reason and message, one rule for the operator's sweep reconciler and `memeops sweep run`,
// so the same sweep file ends the same way with and without a cluster. Succeeded needs a best (succeeded) trial;
// without one the sweep is Failed with the same reason.
import { objectiveDirection, type MemeSweepSpec } from "../v1alpha1/sweep-spec.ts";

export const SWEEP_END_REASON = {
  tooManyFailedTrials: "TooManyFailedTrials",
  goalReached: "GoalReached",
  maxDurationReached: "MaxDurationReached",
  budgetExhausted: "BudgetExhausted",
  spaceExhausted: "SpaceExhausted",
} as const;

export interface SweepEnding {
  phase: "Succeeded" | "Failed";
  reason: (typeof SWEEP_END_REASON)[keyof typeof SWEEP_END_REASON];
  message: string;
}

type EndingSpec = Pick<MemeSweepSpec, "budget" | "objective">;

/** A Go duration (`1h30m`, `90s`, `500ms`: budget.maxDuration's format) in milliseconds. */
export function durationMs(text: string): number {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const [, n, u] of text.matchAll(/([0-9.]+)(ms|s|m|h)/g)) total += Number(n) * unit[u!]!;
  return total;
}

/** budget.maxDuration in milliseconds; undefined when unset. */
export const maxDurationMs = (spec: EndingSpec): number | undefined => (spec.budget.maxDuration ? durationMs(spec.budget.maxDuration) : undefined);

/**
 * What ends a sweep whatever its trials are doing (its live trials are then stopped): more failed trials than
 * maxFailedTrials, a succeeded trial that reached the goal, maxDuration since the sweep started. First match wins.
 */
export function endsNow(spec: EndingSpec, s: { failed: number; best?: { name: string; value: number }; elapsedMs: number }): SweepEnding | undefined {
  const { budget, objective } = spec;
  if (s.failed > budget.maxFailedTrials) {
    return { phase: "Failed", reason: SWEEP_END_REASON.tooManyFailedTrials, message: `${s.failed} trials failed, more than budget.maxFailedTrials (${budget.maxFailedTrials})` };
  }
  const reached = (v: number, goal: number) => (objectiveDirection(objective) === "maximize" ? v >= goal : v <= goal);
  if (s.best && objective.goal !== undefined && reached(s.best.value, objective.goal)) {
    return { phase: "Succeeded", reason: SWEEP_END_REASON.goalReached, message: `trial ${s.best.name} reached ${objective.metric} ${s.best.value} (goal ${objective.goal})` };
  }
  const max = maxDurationMs(spec);
  if (max !== undefined && s.elapsedMs >= max) {
    return { phase: s.best ? "Succeeded" : "Failed", reason: SWEEP_END_REASON.maxDurationReached, message: `the sweep ran for budget.maxDuration (${budget.maxDuration})` };
  }
  return undefined;
}

/** What ends a sweep whose trials have all ended: maxTrials created, or no point of the search space left. */
export function endsExhausted(spec: EndingSpec, s: { created: number; spaceExhausted: boolean; hasBest: boolean }): SweepEnding | undefined {
  const phase = s.hasBest ? "Succeeded" : "Failed";
  if (s.created >= spec.budget.maxTrials) return { phase, reason: SWEEP_END_REASON.budgetExhausted, message: `all ${s.created} trials of budget.maxTrials have ended` };
  if (s.spaceExhausted) return { phase, reason: SWEEP_END_REASON.spaceExhausted, message: `every point of the search space was tried (${s.created} trials)` };
  return undefined;
}
