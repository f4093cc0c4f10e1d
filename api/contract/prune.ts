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
