// A value inside a parsed jsonl row, found by the path spec.dataset.layout.fields gives: `labels[0]`, `meta.text`.
// Paths are checked by the schema's regex; parsing here only splits them into steps.

type Step = string | number;

export function parseFieldPath(path: string): Step[] {
  const steps: Step[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) steps.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return steps;
}

/** The value at `path`, or undefined where any step is absent (an index into a non-array, a key of a non-object). */
export function readField(row: unknown, path: readonly Step[]): unknown {
  let at: unknown = row;
  for (const step of path) {
    if (typeof step === "number") at = Array.isArray(at) ? at[step] : undefined;
    else at = at !== null && typeof at === "object" && !Array.isArray(at) ? (at as Record<string, unknown>)[step] : undefined;
    if (at === undefined) return undefined;
  }
  return at;
}
