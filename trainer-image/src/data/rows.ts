// A split file's lines turned into rows, each with where it came from ("train.jsonl:12") so every problem the
// report lists can be found in the source. A line that cannot be a meme is returned as a problem, never skipped.
// Which fields hold the id, image, text and label, and how classes map to labels, is spec.dataset.layout: the
// Hateful Memes layout by default, HarMeme's (`labels[0]` = "somewhat harmful" -> 1) by configuration.
import { posix } from "node:path";
import { datasetLayout, type DatasetLayout } from "../../../api/v1alpha1/spec.ts";
import { parseFieldPath, readField } from "./field-path.ts";
import { normaliseId } from "./ids.ts";

export type Label = 0 | 1 | null;

/** The Hateful Memes layout: the schema's defaults. */
export const DEFAULT_LAYOUT: DatasetLayout = datasetLayout.parse({});

/** A row as the source wrote it, with its id normalised; the text is still raw. */
export interface SourceRow {
  id: string;
  /** Image path relative to the dataset root, e.g. `img/01235.png` (layout.images joined in front). */
  img: string;
  text: string;
  /** null where the source has no label (an unlabelled test split). */
  label: Label;
  /** The source's class before layout.labels mapped it to `label` (e.g. "very harmful"); only with a mapping. */
  class?: string;
  where: string;
}

export interface RowProblem {
  id: string | null;
  where: string;
  reason: string;
}

/** A class that layout.labels does not map: a configuration error, not a bad row, so the run stops. */
export class UnknownClassError extends Error {}

export function parseSplitFile(content: string, fileName: string, layout: DatasetLayout = DEFAULT_LAYOUT): { rows: SourceRow[]; problems: RowProblem[] } {
  const read = rowReader(layout);
  const rows: SourceRow[] = [];
  const problems: RowProblem[] = [];
  const lines = content.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${fileName}:${i + 1}`;
    const parsed = read(line, where);
    if (typeof parsed === "string") problems.push({ id: read.idOf(line), where, reason: parsed });
    else rows.push({ ...parsed, where });
  });
  return { rows, problems };
}

function rowReader(layout: DatasetLayout) {
  const paths = {
    id: parseFieldPath(layout.fields.id),
    image: parseFieldPath(layout.fields.image),
    text: parseFieldPath(layout.fields.text),
    label: parseFieldPath(layout.fields.label),
  };
  const field = (name: keyof typeof paths) => `field ${JSON.stringify(layout.fields[name])}`;
  const mapping = layout.labels ? new Map(Object.entries(layout.labels)) : undefined;

  const read = (line: string, where: string): Omit<SourceRow, "where"> | string => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return "not valid JSON";
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return "not a JSON object";
    const rawId = readField(value, paths.id);
    const id = normaliseId(rawId);
    if (id === null) return `invalid id ${JSON.stringify(rawId)} in ${field("id")}`;
    const rawImage = readField(value, paths.image);
    const img = imagePath(rawImage, layout.images);
    if (img === null) return `invalid image path ${JSON.stringify(rawImage)} in ${field("image")}`;
    const text = readField(value, paths.text);
    if (typeof text !== "string") return `no text in ${field("text")}`;
    const raw = readField(value, paths.label);
    if (!mapping) {
      const label = binaryLabel(raw);
      if (label === undefined) return `invalid label ${JSON.stringify(raw)} in ${field("label")} (expected 0 or 1)`;
      return { id, img, text, label };
    }
    if (raw === undefined || raw === null) return { id, img, text, label: null };
    const cls = typeof raw === "string" ? raw : JSON.stringify(raw);
    const label = mapping.get(cls);
    if (label === undefined) {
      throw new UnknownClassError(
        `${where}: the class ${JSON.stringify(cls)} in ${field("label")} (spec.dataset.layout.fields.label) is not in spec.dataset.layout.labels ` +
          `(${[...mapping.keys()].map((k) => JSON.stringify(k)).join(", ")})`,
      );
    }
    return { id, img, text, label: label as 0 | 1, class: cls };
  };
  /** Best effort, to name the row in a problem: the id of a line that failed elsewhere. */
  const idOf = (line: string): string | null => {
    try {
      return normaliseId(readField(JSON.parse(line), paths.id));
    } catch {
      return null;
    }
  };
  return Object.assign(read, { idOf });
}

/** A relative path that stays inside the dataset directory, with the layout's image folder in front. */
function imagePath(raw: unknown, folder: string | undefined): string | null {
  if (typeof raw !== "string" || raw.trim() === "") return null;
  const p = posix.normalize(raw.trim().replace(/\\/g, "/"));
  if (p.startsWith("/") || p === ".." || p.startsWith("../")) return null;
  return folder ? posix.join(folder, p) : p;
}

function binaryLabel(raw: unknown): Label | undefined {
  if (raw === undefined || raw === null) return null;
  if (raw === 0 || raw === "0") return 0;
  if (raw === 1 || raw === "1") return 1;
  return undefined;
}
