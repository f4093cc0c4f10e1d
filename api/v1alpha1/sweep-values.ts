// A sweep's parameters set on its trial template: the trial spec of given values, and the check CEL cannot make,
// that each domain's extreme values (every categorical value) give a MemeExperiment spec the schema accepts.
import type { Problem } from "./parse.ts";
import { memeExperimentSpec, type MemeExperimentSpec } from "./spec.ts";
import type { MemeSweepSpec, SweepParameterSpec } from "./sweep-spec.ts";

export type ParameterValue = string | number | boolean;

/** `spec` with each `path: value` set (intermediate objects created), unparsed: parse the result to validate it. */
export function withParameters(spec: unknown, params: Readonly<Record<string, ParameterValue>>): Record<string, unknown> {
  const out = structuredClone(spec ?? {}) as Record<string, unknown>;
  for (const [path, value] of Object.entries(params)) {
    const keys = path.split(".");
    let node = out;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      node = (node[key] = next && typeof next === "object" && !Array.isArray(next) ? next : {}) as Record<string, unknown>;
    }
    node[keys.at(-1)!] = value;
  }
  return out;
}

export type TrialSpecResult = { ok: true; spec: MemeExperimentSpec } | { ok: false; message: string };

/** The trial's MemeExperiment spec, or why the schema refuses these values (the trial is then Infeasible). */
export function trialSpec(template: unknown, params: Readonly<Record<string, ParameterValue>>): TrialSpecResult {
  const result = memeExperimentSpec.safeParse(withParameters(template, params));
  if (result.success) return { ok: true, spec: result.data };
  const message = result.error.issues.map((i) => `spec.${i.path.map(String).join(".")}: ${i.message}`).join("; ");
  return { ok: false, message };
}

/** The values that bound a domain: [field under the domain, value] pairs. */
function extremes(p: SweepParameterSpec): [string, ParameterValue][] {
  if (p.categorical) return p.categorical.values.map((v, i) => [`categorical.values[${i}]`, v]);
  if (p.uniform) return [["uniform.min", p.uniform.min], ["uniform.max", p.uniform.max]];
  if (p.logUniform) return [["logUniform.min", p.logUniform.min], ["logUniform.max", p.logUniform.max]];
  if (p.int) return [["int.min", p.int.min], ["int.max", p.int.min + Math.floor((p.int.max - p.int.min) / p.int.step) * p.int.step]];
  return [];
}

export function sweepValueProblems(spec: MemeSweepSpec): Problem[] {
  const problems: Problem[] = [];
  spec.parameters.forEach((p, i) => {
    for (const [field, value] of extremes(p)) {
      const result = trialSpec(spec.trialTemplate.spec, { [p.path]: value });
      if (!result.ok) {
        problems.push({ path: `spec.parameters[${i}].${field}`, message: `${p.path} = ${JSON.stringify(value)} is refused by the MemeExperiment schema: ${result.message}`.slice(0, 1024) });
      }
    }
  });
  return problems;
}
