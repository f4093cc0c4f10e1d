// Deterministic child names and the labels every child carries: the same experiment always yields the same
// names, which is what makes creation idempotent (a second create gets AlreadyExists, never a twin).
import { createHash } from "node:crypto";

export const MAX_NAME = 63;
export const LABEL = {
  experiment: "memeops.io/experiment",
  stage: "memeops.io/stage",
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  component: "app.kubernetes.io/component",
  managedBy: "app.kubernetes.io/managed-by",
  partOf: "app.kubernetes.io/part-of",
} as const;
export const MANAGED_BY = "memeops-operator";
/** Selects everything the operator made, across all namespaces: the Job and Pod informers watch only these. */
export const MANAGED_SELECTOR = `${LABEL.managedBy}=${MANAGED_BY}`;

/** `<parent>-<suffix>`, cut to 63 characters with a hash of the full name so that cut names stay distinct. */
export function childName(parent: string, suffix: string): string {
  const full = `${parent}-${suffix}`;
  if (full.length <= MAX_NAME) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  const keep = MAX_NAME - suffix.length - hash.length - 2;
  return `${parent.slice(0, keep).replace(/[-.]+$/, "")}-${hash}-${suffix}`;
}

/** Label values are at most 63 characters; experiment names already are (the API refuses longer ones). */
export function childLabels(experiment: string, stage: string): Record<string, string> {
  return {
    [LABEL.name]: "memeops-trainer",
    [LABEL.instance]: experiment,
    [LABEL.component]: stage,
    [LABEL.managedBy]: MANAGED_BY,
    [LABEL.partOf]: "memeops",
    [LABEL.experiment]: experiment,
    [LABEL.stage]: stage,
  };
}
