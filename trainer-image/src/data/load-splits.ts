// Read one split from a source: the first candidate file set that exists (see splits.ts), parsed row by row.
import { readFile } from "node:fs/promises";
import type { Log } from "./log.ts";
import { ProgressMeter } from "./progress.ts";
import type { DatasetLayout } from "../../../api/v1alpha1/spec.ts";
import { DEFAULT_LAYOUT, parseSplitFile, type RowProblem, type SourceRow } from "./rows.ts";
import type { DatasetSource } from "./sources/source.ts";
import { isSafeSplitName, splitFileCandidates, type SplitRole } from "./splits.ts";

export interface LoadedSplit {
  role: SplitRole;
  /** The split's name in the source (spec.dataset.splits). */
  name: string;
  files: string[];
  rows: SourceRow[];
  /** Lines that are not memes. */
  problems: RowProblem[];
}

export interface MissingSplit {
  role: SplitRole;
  name: string;
  missing: true;
  /** Where the split was looked for. */
  tried: string[];
}

export async function loadSplit(
  source: DatasetSource, role: SplitRole, name: string, log: Log, layout: DatasetLayout = DEFAULT_LAYOUT,
): Promise<LoadedSplit | MissingSplit> {
  if (!isSafeSplitName(name)) throw new Error(`spec.dataset.splits.${role}: ${JSON.stringify(name)} is not a file name`);
  const tried: string[] = [];
  for (const files of splitFileCandidates(name, layout.annotations)) {
    const paths: string[] = [];
    for (const file of files) {
      const meter = new ProgressMeter(file, log, { singleFile: true });
      const path = await source.file(file, meter);
      tried.push(source.locate(file));
      if (path === null) break;
      meter.finish();
      paths.push(path);
    }
    if (paths.length < files.length) continue;
    const rows: SourceRow[] = [];
    const problems: RowProblem[] = [];
    for (const [i, path] of paths.entries()) {
      const parsed = parseSplitFile(await readFile(path, "utf8"), files[i] as string, layout);
      rows.push(...parsed.rows);
      problems.push(...parsed.problems);
    }
    return { role, name, files, rows, problems };
  }
  return { role, name, missing: true, tried };
}

export const isMissing = (s: LoadedSplit | MissingSplit): s is MissingSplit => "missing" in s;
