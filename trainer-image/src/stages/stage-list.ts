// Stage names given on a command line (`memeops run --stages`, `memeops trainer STAGE...`), checked against the
// experiment's own stages: a list of problems, empty when the stages are valid, in the experiment's order, and unique.
import { STAGES, type Stage } from "../../../api/contract/stages.ts";

export function stageListProblem(names: string[], planned: Stage[]): string | undefined {
  if (names.length === 0) return `no stage given (this experiment's stages: ${planned.join(", ")})`;
  for (const s of names) {
    if (!(STAGES as readonly string[]).includes(s)) return `unknown stage '${s}' (one of ${STAGES.join(", ")})`;
    if (!planned.includes(s as Stage)) return `'${s}' is not a stage of this experiment (${planned.join(", ")})`;
  }
  const order = names.map((s) => planned.indexOf(s as Stage));
  if (order.some((at, i) => i > 0 && at <= order[i - 1]!)) {
    return `stages must be given once each, in the order ${planned.join(", ")} (got ${names.join(", ")})`;
  }
  return undefined;
}

/** A stage list that is not one of this experiment's (stageListProblem says why). */
export class StageListError extends Error {}

/** The stages to run: all of the experiment's when none are named, else the named ones, checked. */
export function chooseStages(names: string[] | undefined, planned: Stage[]): Stage[] {
  if (names === undefined) return planned;
  const problem = stageListProblem(names, planned);
  if (problem) throw new StageListError(problem);
  return names as Stage[];
}
