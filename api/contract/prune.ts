// How a sweep stops one of its trials: the sweep controller sets this annotation on the trial (a MemeExperiment) to
// the JSON of its pruning decision (rule median or asha), or of its own end (rule stopped: the sweep reached its goal,
// failed or ran out of time); the MemeExperiment controller stops the trial's Job and ends it Pruned with these
// numbers in status.pruned. A contract between the two reconcilers, so it lives here, in one place.
import { z } from "zod";
import { PRUNE_RULES } from "../v1alpha1/status.ts";

export const PRUNE_ANNOTATION = "memeops.io/prune";

export const pruneDecision = z.object({
  rule: z.enum(PRUNE_RULES),
  epoch: z.int().min(0).describe("the 1-based epoch the decision is about (0: before the first epoch ended)"),
  value: z.number().nullable().describe("the trial's objective at that epoch"),
  threshold: z.number().nullable().describe("what it had to reach: the median, or the rung's cut-off"),
  compared: z.int().min(0).describe("how many other trials' values entered the rule"),
  message: z.string().max(1024),
});

export type PruneRecord = z.infer<typeof pruneDecision>;

/** The decision an annotation holds, or undefined when it is absent or not one (a hand-written value is ignored). */
export function readPruneAnnotation(annotations: Readonly<Record<string, string>> | undefined): PruneRecord | undefined {
  const text = annotations?.[PRUNE_ANNOTATION];
  if (!text) return undefined;
  try {
    const parsed = pruneDecision.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A trial's entry reason when it was pruned (status.trials[].reason, `memeops sweep run`'s sweep.json and trials.csv). */
export function prunedTrialReason(rule: PruneRecord["rule"] | undefined): string {
  return rule === "stopped" ? "SweepEnded" : (rule ?? "median");
}

/** The decision that stops a live trial because its sweep ended: rule `stopped`, at the last epoch it reported. */
export function sweepEndedPrune(ending: { reason: string; message: string }, epoch: number, value: number | null): PruneRecord {
  return { rule: "stopped", epoch, value, threshold: null, compared: 0, message: `the sweep ended (${ending.reason}): ${ending.message}`.slice(0, 1024) };
}

/** The tags on a pruned trial's MLflow run (which is closed KILLED): memeops.pruned=true, the rule, and its numbers. */
export const PRUNED_TAG = {
  pruned: "memeops.pruned",
  rule: "memeops.pruned.rule",
  epoch: "memeops.pruned.epoch",
  value: "memeops.pruned.value",
  threshold: "memeops.pruned.threshold",
  compared: "memeops.pruned.compared",
} as const;

/** The pruned tags of a decision (status.pruned, or the record itself); numbers the rule did not have are left out. */
export function prunedRunTags(p: { rule: string; epoch: number; value?: number | null; threshold?: number | null; compared?: number } | undefined): Record<string, string> {
  const number = (v: number | null | undefined) => (v === null || v === undefined ? undefined : String(v));
  const tags: Record<string, string | undefined> = {
    [PRUNED_TAG.pruned]: "true",
    [PRUNED_TAG.rule]: p?.rule ?? "",
    [PRUNED_TAG.epoch]: number(p?.epoch) ?? "",
    [PRUNED_TAG.value]: number(p?.value),
    [PRUNED_TAG.threshold]: number(p?.threshold),
    [PRUNED_TAG.compared]: number(p?.compared),
  };
  return Object.fromEntries(Object.entries(tags).filter((e): e is [string, string] => e[1] !== undefined));
}
