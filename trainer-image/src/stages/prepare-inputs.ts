// The first half of the prepare stage: the source's splits read, duplicates dropped and conflicts listed, ids
// shared between splits found, text cleaned, images made local. What comes out is plain rows, per split.
import { dropDuplicates, findSharedIds, type SharedIds } from "../data/dedupe.ts";
import { isMissing, loadSplit } from "../data/load-splits.ts";
import type { Log } from "../data/log.ts";
import { mapLimit } from "../data/map-limit.ts";
import { ProgressMeter } from "../data/progress.ts";
import type { SourceRow } from "../data/rows.ts";
import type { DatasetSource } from "../data/sources/source.ts";
import { SPLIT_ROLES, type SplitRole } from "../data/splits.ts";
import type { DatasetLayout } from "../../../api/v1alpha1/spec.ts";
import { cleanText, type TextCleanOptions } from "../text/clean.ts";
import type { DroppedItem, MissingSplitReport, SplitReport } from "./prepare-report.ts";
import type { PrepareRow } from "./prepare-split.ts";
import type { StepTimer } from "./step-timer.ts";

export interface PrepareInputs {
  rows: Map<SplitRole, PrepareRow[]>;
  /** Per role, in role order; present splits are filled in further by the per-split step. */
  splits: Map<SplitRole, SplitReport | MissingSplitReport>;
  dropped: DroppedItem[];
  sharedIds: SharedIds[];
}

const FETCH_CONCURRENCY = 8;

export interface InputOptions {
  /** spec.dataset.splits: each role's split name in the source. */
  splitNames: Record<SplitRole, string>;
  /** The roles the experiment cannot do without, and its mode (for the message when one is missing). */
  required: readonly SplitRole[];
  mode: string;
  text: TextCleanOptions;
  /** spec.dataset.layout: where split files and images are, which fields hold what. */
  layout: DatasetLayout;
  log: Log;
  timer: StepTimer;
}

export async function loadInputs(source: DatasetSource, { splitNames, required, mode, text, layout, log, timer }: InputOptions): Promise<PrepareInputs> {
  const dropped: DroppedItem[] = [];
  const kept = new Map<SplitRole, SourceRow[]>();
  const splits = new Map<SplitRole, SplitReport | MissingSplitReport>();
  for (const role of SPLIT_ROLES) {
    const split = await timer.time("load splits", () => loadSplit(source, role, splitNames[role], log, layout));
    if (isMissing(split)) {
      if (required.includes(role)) {
        throw new Error(
          `the ${role} split (spec.dataset.splits.${role} = "${split.name}"), required to ${mode}, is not in ${source.origin}: tried ${split.tried.join(", ")}`,
        );
      }
      splits.set(role, { ...split, required: false });
      continue;
    }
    const dedup = dropDuplicates(split.rows);
    for (const p of [...split.problems, ...dedup.conflicts]) dropped.push({ split: role, ...p });
    kept.set(role, dedup.rows);
    splits.set(role, {
      role,
      name: split.name,
      files: split.files,
      rowsRead: split.rows.length + split.problems.length,
      duplicatesRemoved: dedup.duplicates,
      dropped: 0,
      items: 0,
      labelled: 0,
      positives: 0,
      truncatedTexts: 0,
    });
  }

  const rows = new Map<SplitRole, PrepareRow[]>();
  for (const [role, splitRows] of kept) {
    const meter = new ProgressMeter(`${role} images`, log, { totalFiles: splitRows.length });
    const paths = await timer.time("fetch images", () =>
      mapLimit(splitRows, FETCH_CONCURRENCY, async (r) => {
        const path = await source.file(r.img, meter);
        meter.fileDone();
        return path;
      }),
    );
    meter.finish();
    rows.set(role, splitRows.map((r, i) => ({ ...r, text: cleanText(r.text, text), imagePath: paths[i] ?? null })));
  }
  return { rows, splits, dropped, sharedIds: findSharedIds(kept) };
}
