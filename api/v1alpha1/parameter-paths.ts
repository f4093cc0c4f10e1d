// The MemeExperiment spec's fields a sweep may vary: every scalar leaf of the schema, by dotted path and JSON type.
// Read from the generated structural schema, so a field added to spec.ts is a sweep parameter at once.
import { toStructuralSchema } from "./openapi.ts";
import { memeExperimentSpec } from "./spec.ts";

export type LeafType = "number" | "integer" | "string" | "boolean" | "quantity";
type Node = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Fields a sweep does not vary: its own suspend drives the trials' suspend. */
const NOT_PARAMETERS = new Set(["suspend"]);

function leaves(node: Node, path: string, out: Map<string, LeafType>): void {
  if (node["x-kubernetes-int-or-string"]) out.set(path, "quantity");
  else if (node.type === "object" && node.properties) {
    for (const [k, v] of Object.entries(node.properties as Node)) leaves(v, path ? `${path}.${k}` : k, out);
  } else if (["number", "integer", "string", "boolean"].includes(node.type)) out.set(path, node.type);
}

export const PARAMETER_PATHS: ReadonlyMap<string, LeafType> = (() => {
  const out = new Map<string, LeafType>();
  leaves(toStructuralSchema(memeExperimentSpec), "", out);
  for (const p of NOT_PARAMETERS) out.delete(p);
  return out;
})();

export const pathsOfType = (...types: LeafType[]) => [...PARAMETER_PATHS].filter(([, t]) => types.includes(t)).map(([p]) => p);
