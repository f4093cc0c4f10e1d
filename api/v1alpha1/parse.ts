// Runtime validation with defaults: one object in, a typed MemeExperiment or a list of field problems out.
import type { z } from "zod";
import { memeExperiment, type MemeExperiment } from "./memeexperiment.ts";

/** One thing wrong with an input, named by its field path (e.g. `spec.training.learningRate`). */
export interface Problem {
  path: string;
  message: string;
}

export type ParseResult = { ok: true; value: MemeExperiment } | { ok: false; problems: Problem[] };

export function parseMemeExperiment(input: unknown): ParseResult {
  const result = memeExperiment.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.flatMap(toProblems) };
}

/** Like parseMemeExperiment, for code that has already been handed a valid object (e.g. by the API server). */
export function mustParseMemeExperiment(input: unknown): MemeExperiment {
  const result = parseMemeExperiment(input);
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join("; "));
  return result.value;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(root)";
}

function toProblems(issue: z.core.$ZodIssue): Problem[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: "unknown field" }));
  }
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return [{ path: formatPath(issue.path), message: `required (expected ${issue.expected})` }];
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}
