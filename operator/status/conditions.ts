// metav1.Condition bookkeeping: lastTransitionTime changes only when status changes, observedGeneration always says
// which spec the condition judged.
import type { Condition } from "../../api/v1alpha1/status.ts";

export type ConditionInput = Pick<Condition, "type" | "status" | "reason" | "message">;

export function setConditions(current: readonly Condition[] | undefined, wanted: ConditionInput[], generation: number | undefined, now: string): Condition[] {
  return wanted.map((w) => {
    const prev = current?.find((c) => c.type === w.type);
    const lastTransitionTime = prev && prev.status === w.status ? prev.lastTransitionTime : now;
    return { ...w, message: w.message.slice(0, 32768), lastTransitionTime, ...(generation !== undefined && { observedGeneration: generation }) };
  });
}

export const conditionOf = (conditions: readonly Condition[] | undefined, type: string) => conditions?.find((c) => c.type === type);
