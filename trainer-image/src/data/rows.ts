// A split file's lines turned into rows, each with where it came from ("train.jsonl:12") so every problem the
// report lists can be found in the source. A line that cannot be a meme is returned as a problem, never skipped.
import { posix } from "node:path";
import { normaliseId } from "./ids.ts";

export type Label = 0 | 1 | null;

/** A row as the source wrote it, with its id normalised; the text is still raw. */
export interface SourceRow {
  id: string;
  /** Image path relative to the dataset root, e.g. `img/01235.png`. */
  img: string;
  text: string;
  /** null where the source has no label (an unlabelled test split). */
  label: Label;
  where: string;
}

export interface RowProblem {
  id: string | null;
  where: string;
  reason: string;
}

export function parseSplitFile(content: string, fileName: string): { rows: SourceRow[]; problems: RowProblem[] } {
  const rows: SourceRow[] = [];
  const problems: RowProblem[] = [];
  const lines = content.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${fileName}:${i + 1}`;
    const parsed = parseRow(line);
    if (typeof parsed === "string") problems.push({ id: idOf(line), where, reason: parsed });
    else rows.push({ ...parsed, where });
  });
  return { rows, problems };
}

function parseRow(line: string): Omit<SourceRow, "where"> | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return "not valid JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not a JSON object";
  const row = value as Record<string, unknown>;
  const id = normaliseId(row.id);
  if (id === null) return `invalid id ${JSON.stringify(row.id)}`;
  const img = imagePath(row.img);
  if (img === null) return `invalid image path ${JSON.stringify(row.img)}`;
  if (typeof row.text !== "string") return "no text field";
  const label = parseLabel(row.label);
  if (label === undefined) return `invalid label ${JSON.stringify(row.label)} (expected 0 or 1)`;
  return { id, img, text: row.text, label };
}

/** A relative path that stays inside the dataset directory. */
function imagePath(raw: unknown): string | null {
  if (typeof raw !== "string" || raw.trim() === "") return null;
  const p = posix.normalize(raw.trim().replace(/\\/g, "/"));
  if (p.startsWith("/") || p === ".." || p.startsWith("../")) return null;
  return p;
}

function parseLabel(raw: unknown): Label | undefined {
  if (raw === undefined || raw === null) return null;
  if (raw === 0 || raw === "0") return 0;
  if (raw === 1 || raw === "1") return 1;
  return undefined;
}

/** Best effort, to name the row in a problem: the id of a line that failed elsewhere. */
function idOf(line: string): string | null {
  try {
    return normaliseId((JSON.parse(line) as Record<string, unknown>).id);
  } catch {
    return null;
  }
}
