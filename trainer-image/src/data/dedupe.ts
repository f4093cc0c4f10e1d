// Duplicates inside a split and ids shared between splits. The hub's validation split has 1040 rows but 640
// unique ids (dev_unseen repeats 400 rows of dev_seen): identical repeats are dropped and counted. A repeated id
// with different content is a conflict: the first row is kept and the later one is listed with its reason.
// Ids shared between splits are reported, not removed: that is a question about the data to show the user. So are
// images shared between splits byte for byte under other ids: HarMeme's test split repeats 27 train memes (same
// image, same text, new id, 10 of 34 such pairs with another label), which an id check cannot see.
import type { RowProblem, SourceRow } from "./rows.ts";

export interface DedupeResult {
  rows: SourceRow[];
  /** Identical repeats removed. */
  duplicates: number;
  /** Same id, different content: removed and listed. */
  conflicts: RowProblem[];
}

export function dropDuplicates(rows: readonly SourceRow[]): DedupeResult {
  const first = new Map<string, SourceRow>();
  const kept: SourceRow[] = [];
  const conflicts: RowProblem[] = [];
  let duplicates = 0;
  for (const row of rows) {
    const seen = first.get(row.id);
    if (!seen) {
      first.set(row.id, row);
      kept.push(row);
    } else if (seen.img === row.img && seen.text === row.text && seen.label === row.label && seen.class === row.class) {
      duplicates++;
    } else {
      conflicts.push({ id: row.id, where: row.where, reason: `duplicate id with different content (first at ${seen.where})` });
    }
  }
  return { rows: kept, duplicates, conflicts };
}

export interface SharedIds {
  splits: [string, string];
  count: number;
  /** The first few, sorted, for the report. */
  examples: string[];
}

export interface SharedImages {
  splits: [string, string];
  count: number;
  /** The first few pairs, `idInFirst = idInSecond`. */
  examples: string[];
}

/** Pairs of splits holding the same image bytes (sha256), in split order. */
export function findSharedImages(splits: ReadonlyMap<string, readonly { id: string; sha256: string }[]>, examples = 5): SharedImages[] {
  const names = [...splits.keys()];
  const out: SharedImages[] = [];
  for (let i = 0; i < names.length; i++) {
    const first = new Map((splits.get(names[i] as string) ?? []).map((x) => [x.sha256, x.id]));
    for (let j = i + 1; j < names.length; j++) {
      const pairs = new Map<string, string>();
      for (const x of splits.get(names[j] as string) ?? []) {
        const id = first.get(x.sha256);
        if (id !== undefined && !pairs.has(x.sha256)) pairs.set(x.sha256, `${id} = ${x.id}`);
      }
      if (pairs.size) out.push({ splits: [names[i] as string, names[j] as string], count: pairs.size, examples: [...pairs.values()].slice(0, examples) });
    }
  }
  return out;
}

export function findSharedIds(splits: ReadonlyMap<string, readonly SourceRow[]>, examples = 5): SharedIds[] {
  const names = [...splits.keys()];
  const out: SharedIds[] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const a = names[i] as string;
      const b = names[j] as string;
      const idsA = new Set(splits.get(a)?.map((r) => r.id));
      const shared = [...new Set(splits.get(b)?.map((r) => r.id))].filter((id) => idsA.has(id)).sort();
      if (shared.length) out.push({ splits: [a, b], count: shared.length, examples: shared.slice(0, examples) });
    }
  }
  return out;
}
