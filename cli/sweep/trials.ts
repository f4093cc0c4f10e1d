// A sweep's trial i as a MemeExperiment: the template with the parameters set by path, named and labelled as the
// operator names and labels its trials, and parsed as any experiment is (a spec that does not parse is Infeasible).
import { parseMemeExperiment, type Problem } from "../../api/v1alpha1/parse.ts";
import type { MemeExperiment } from "../../api/v1alpha1/memeexperiment.ts";
import type { Params, ParamValue } from "../../search/index.ts";
import type { MemeSweep } from "./sweep-file.ts";

/** `<sweep>-t0001` for index 0. */
export const trialName = (sweep: string, index: number) => `${sweep}-t${String(index + 1).padStart(4, "0")}`;

/** A copy of `spec` with `value` at the dotted `path` (objects on the way are created). */
export function setPath(spec: unknown, path: string, value: ParamValue): Record<string, unknown> {
  const out = structuredClone(spec) as Record<string, unknown>;
  const keys = path.split(".");
  let node = out;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next !== undefined && (typeof next !== "object" || next === null || Array.isArray(next))) throw new Error(`${path}: ${key} is not an object in the template`);
    node = (node[key] ??= {}) as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
  return out;
}

/** A feasible trial: the parsed experiment and the document it was parsed from (what its file holds). */
export type TrialSpec = { ok: true; experiment: MemeExperiment; document: Record<string, unknown> } | { ok: false; problems: Problem[] };

export function trialExperiment(sweep: MemeSweep, index: number, params: Params): TrialSpec {
  const template = sweep.spec.trialTemplate;
  let spec: unknown = template.spec;
  try {
    for (const [path, value] of Object.entries(params)) spec = setPath(spec, path, value);
  } catch (err) {
    return { ok: false, problems: [{ path: "spec", message: (err as Error).message }] };
  }
  const document = {
    apiVersion: "memeops.io/v1alpha1",
    kind: "MemeExperiment",
    metadata: {
      name: trialName(sweep.metadata.name, index),
      ...(sweep.metadata.namespace && { namespace: sweep.metadata.namespace }),
      labels: { ...template.metadata?.labels, "memeops.io/sweep": sweep.metadata.name, "memeops.io/trial-index": String(index) },
      ...(template.metadata?.annotations && { annotations: template.metadata.annotations }),
    },
    spec,
  };
  const result = parseMemeExperiment(document);
  return result.ok ? { ok: true, experiment: result.value, document } : { ok: false, problems: result.problems };
}
