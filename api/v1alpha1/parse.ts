// Runtime validation with defaults: one object in, a typed MemeExperiment (or MemeSweep) or a list of field problems out.
import type { z } from "zod";
import { memeExperiment, type MemeExperiment } from "./memeexperiment.ts";
import { memeSweep, type MemeSweep } from "./memesweep.ts";
import { sweepValueProblems } from "./sweep-values.ts";

/** One thing wrong with an input, named by its field path (e.g. `spec.training.learningRate`). */
export interface Problem {
  path: string;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };
export type ParseResult = Parsed<MemeExperiment>;

function parseWith<T>(schema: z.ZodType<T>, input: unknown): Parsed<T> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.flatMap(toProblems) };
}

export const parseMemeExperiment = (input: unknown): ParseResult => parseWith(memeExperiment, input);

/**
 * A MemeSweep, checked as the API server checks it and then beyond what CEL can: every parameter's extreme values
 * (each categorical value) set on the template must give a MemeExperiment spec that parses.
 */
export function parseMemeSweep(input: unknown): Parsed<MemeSweep> {
  const parsed = parseWith(memeSweep, input);
  if (!parsed.ok) return parsed;
  const problems = sweepValueProblems(parsed.value.spec);
  return problems.length ? { ok: false, problems } : parsed;
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
