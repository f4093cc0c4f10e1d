// What the prepare stage did, item by item where it matters: per-split counts, duplicates removed, ids shared
// between splits, every dropped item with its reason, what had to be done to odd images, cache use, time per step.
// Written as prepare-report.json next to the prepared dataset; formatPrepareReport renders it for people.
import type { CacheStats } from "../data/download-cache.ts";
import type { BatchStats } from "../features/batch-pipeline.ts";
import type { SharedIds, SharedImages } from "../data/dedupe.ts";
import type { SplitRole } from "../data/splits.ts";

export const REPORT_FORMAT = "memeops.prepare-report/v1";

export interface DroppedItem {
  split: SplitRole;
  id: string | null;
  /** Where the row is in the source: `train.jsonl:12`. */
  where: string;
  reason: string;
}

/** Notes of one kind (digits stand for any number: "resized from #x# to #x#"), with a few examples. */
export interface NoteCount {
  kind: string;
  count: number;
  /** `split/id: the note` */
  examples: string[];
  /** The most frequent notes of the kind as written (real sizes: "resized from 2000x1500 to 1333x1000"), with
   * their counts; only for kinds that have numbers in them. */
  common?: { note: string; count: number }[];
  /** How many different notes the kind holds (up to the collector's bound). */
  distinct?: number;
}

export interface SplitReport {
  role: SplitRole;
  name: string;
  files: string[];
  rowsRead: number;
  duplicatesRemoved: number;
  dropped: number;
  items: number;
  labelled: number;
  positives: number;
  /** Items per source class, when spec.dataset.layout.labels maps classes to labels. */
  classes?: Record<string, number>;
  truncatedTexts: number;
}

export interface MissingSplitReport {
  role: SplitRole;
  name: string;
  missing: true;
  required: boolean;
  tried: string[];
}

export interface PrepareReport {
  format: typeof REPORT_FORMAT;
  source: string;
  sourceNotes: string[];
  /** The prepared dataset's directory. */
  output: string;
  fingerprint: string;
  /** A prepared dataset with the same fingerprint was already there and was used as is. */
  reused: boolean;
  splits: (SplitReport | MissingSplitReport)[];
  sharedIds: SharedIds[];
  /** Images in two splits byte for byte, under different ids (absent in reports written before it was counted). */
  sharedImages?: SharedImages[];
  dropped: DroppedItem[];
  notes: NoteCount[];
  tokenizer: { origin: string; fingerprint: string; maxSequenceLength: number };
  features: { extractor: string; regions: number; dim: number; fingerprint: string; cache: BatchStats } | { skipped: string };
  captions: { fingerprint: string; cache: BatchStats } | null;
  downloads: CacheStats;
  timings: { step: string; seconds: number }[];
  seconds: number;
}

export const isMissingSplit = (s: SplitReport | MissingSplitReport): s is MissingSplitReport => "missing" in s;

const MAX_DROPPED_LINES = 20;

export function formatPrepareReport(r: PrepareReport): string {
  const lines: string[] = [];
  const total = r.splits.reduce((n, s) => n + (isMissingSplit(s) ? 0 : s.items), 0);
  lines.push(`${r.reused ? "reused" : "prepared"} ${total} memes from ${r.source} in ${r.seconds.toFixed(1)} s -> ${r.output}`);
  for (const note of r.sourceNotes) lines.push(`  source: ${note}`);
  for (const s of r.splits) {
    const head = `  ${s.role.padEnd(10)}`;
    if (isMissingSplit(s)) {
      lines.push(`${head} ${s.required ? "MISSING (required)" : "missing"}: no split "${s.name}" (tried ${s.tried.join(", ")})`);
      continue;
    }
    lines.push(
      `${head} ${s.items} items (${s.positives} positive, ${s.labelled} labelled) from ${s.rowsRead} rows of ${s.files.join(" + ")}: ` +
        `${s.duplicatesRemoved} duplicates removed, ${s.dropped} dropped${s.truncatedTexts ? `, ${s.truncatedTexts} texts truncated to fit` : ""}`,
    );
    if (s.classes) lines.push(`${" ".repeat(head.length)} classes: ${Object.entries(s.classes).map(([c, n]) => `${c} ${n}`).join(", ")}`);
  }
  for (const shared of r.sharedIds) {
    lines.push(`  shared ids: ${shared.count} ids in both ${shared.splits.join(" and ")} (e.g. ${shared.examples.join(", ")})`);
  }
  for (const shared of r.sharedImages ?? []) {
    lines.push(`  shared images: ${shared.count} images in both ${shared.splits.join(" and ")}, byte for byte (e.g. ${shared.examples.join(", ")})`);
  }
  if (r.dropped.length) {
    const byKind = countBy(r.dropped.map((d) => kindOf(d.reason)));
    lines.push(`  dropped ${r.dropped.length}: ${byKind.map(([kind, n]) => `${n} ${kind}`).join(", ")}`);
    for (const d of r.dropped.slice(0, MAX_DROPPED_LINES)) lines.push(`    ${d.split} ${d.id ?? "(no id)"} (${d.where}): ${d.reason}`);
    if (r.dropped.length > MAX_DROPPED_LINES) lines.push(`    ... ${r.dropped.length - MAX_DROPPED_LINES} more in prepare-report.json`);
  }
  for (const n of r.notes) lines.push(`  note: ${n.count} x ${noteText(n)}`);
  lines.push(`  tokens: ${r.tokenizer.origin}, ${r.tokenizer.maxSequenceLength} per text`);
  lines.push(
    "skipped" in r.features
      ? `  features: not extracted: ${r.features.skipped}`
      : `  features: ${r.features.extractor}, ${r.features.regions} regions x ${r.features.dim}, ${cacheLine(r.features.cache)}`,
  );
  if (r.captions) lines.push(`  captions: ${r.captions.fingerprint.slice(0, 12)}, ${cacheLine(r.captions.cache)}`);
  const d = r.downloads;
  lines.push(`  downloads: ${d.misses} fetched (${(d.bytesDownloaded / 1e6).toFixed(1)} MB), ${d.hits} from cache`);
  lines.push(`  time: ${r.timings.map((t) => `${t.step} ${t.seconds.toFixed(1)} s`).join(", ")}`);
  return lines.join("\n");
}

/** A kind with numbers in it is shown by its most common real notes ("resized from 2000x1500 to 1333x1000 (3)"):
 * the kind itself ("resized from #x# to #x#") says nothing a person can act on. */
function noteText(n: NoteCount): string {
  if (!n.common?.length) return `${n.kind} (e.g. ${n.examples[0]})`;
  const others = (n.distinct ?? n.common.length) - n.common.length;
  return n.common.map((c) => `${c.note} (${c.count})`).join(", ") + (others > 0 ? `, and ${others} other${others > 1 ? "s" : ""}` : "");
}

const cacheLine = (c: BatchStats) => `${c.misses} computed, ${c.hits} from cache`;

/** "image missing: img/01235.png" -> "image missing"; "duplicate id ... (first at f:2)" -> "duplicate id ...". */
export const kindOf = (reason: string) => (reason.split(": ")[0] ?? reason).replace(/\s*\(.*$/, "").replace(/\d+/g, "#");

function countBy(keys: string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts];
}

const COMMON_NOTES = 3;
/** Distinct notes counted per kind: memory stays bounded on a dataset where every image has its own size. */
const MAX_DISTINCT_NOTES = 10_000;

/** Collects per-item notes by kind, keeping a few examples of each and, for kinds with numbers, the counts of each
 * distinct note. */
export class NoteCollector {
  private readonly byKind = new Map<string, { entry: NoteCount; exact: Map<string, number> }>();

  add(split: SplitRole, id: string, note: string): void {
    const kind = note.replace(/\d+/g, "#");
    const got = this.byKind.get(kind) ?? { entry: { kind, count: 0, examples: [] }, exact: new Map<string, number>() };
    got.entry.count++;
    if (got.entry.examples.length < 5) got.entry.examples.push(`${split}/${id}: ${note}`);
    if (kind !== note && (got.exact.has(note) || got.exact.size < MAX_DISTINCT_NOTES)) got.exact.set(note, (got.exact.get(note) ?? 0) + 1);
    this.byKind.set(kind, got);
  }

  list(): NoteCount[] {
    return [...this.byKind.values()].map(({ entry, exact }) => {
      if (exact.size === 0) return entry;
      const common = [...exact]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, COMMON_NOTES)
        .map(([note, count]) => ({ note, count }));
      return { ...entry, common, distinct: exact.size };
    });
  }
}
