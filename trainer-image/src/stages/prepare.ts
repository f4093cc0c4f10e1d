// The prepare stage: spec.dataset in, a prepared dataset (data/prepared.ts) and a report out.
//   inputs (prepare-inputs.ts): splits read, duplicates dropped, shared ids found, text cleaned, images local
//   -> the same inputs and tools as last time? reuse the prepared dataset
//   -> per split (prepare-split.ts): images checked and decoded, captions, features, tokens, written.
// Everything is written into a staging directory renamed into place at the end, so a prepared dataset on disk is
// always complete. Splits are deterministic: source row order, no randomness anywhere.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { MemeExperimentSpec } from "../../../api/v1alpha1/spec.ts";
import { findSharedImages } from "../data/dedupe.ts";
import { DownloadCache } from "../data/download-cache.ts";
import type { DownloadOptions } from "../data/download.ts";
import { MIN_IMAGE_SIDE, missingImageReason } from "../data/image-check.ts";
import { silent, type Log } from "../data/log.ts";
import { mapLimit } from "../data/map-limit.ts";
import { PREPARED_FORMAT, readPreparedManifest, writePreparedManifest, type PreparedManifest } from "../data/prepared.ts";
import { createSource } from "../data/sources/create.ts";
import { SPLIT_ROLES, type SplitRole } from "../data/splits.ts";
import type { FeatureExtractor } from "../features/extractor.ts";
import { MemeTokenizer } from "../text/tokenizer.ts";
import { assertDropLimit } from "./drop-limit.ts";
import { loadInputs, type PrepareInputs } from "./prepare-inputs.ts";
import { NoteCollector, REPORT_FORMAT, type DroppedItem, type PrepareReport, type SplitReport } from "./prepare-report.ts";
import { prepareSplit, type Captioner, type PrepareRow, type SplitOutcome } from "./prepare-split.ts";
import { openTools } from "./prepare-tools.ts";
import { StepTimer } from "./step-timer.ts";

export { formatPrepareReport } from "./prepare-report.ts";
export type { PrepareReport } from "./prepare-report.ts";
export type { Captioner } from "./prepare-split.ts";

export interface PrepareOptions {
  /** The prepared dataset goes to WORKDIR/prepared, its report to WORKDIR/prepared/prepare-report.json. */
  workDir: string;
  log?: Log;
  /** Downloads, unpacked archives, generated data, the tokenizer; default spec.dataset.storage.path. */
  storageDir?: string;
  /** A given extractor is used (and not closed); null: no features; absent: built from spec.features. */
  extractor?: FeatureExtractor | null;
  /** A given captioner is used when spec.dataset.captions.enabled; absent: built from spec.dataset.captions. */
  captioner?: Captioner;
  /** A tokenizer.json to use instead of the built-in bert-base-uncased (also: MEMEOPS_TOKENIZER). */
  tokenizerPath?: string;
  /** Retry settings for every download (tests make them short). */
  download?: Pick<DownloadOptions, "retries" | "retryDelayMs">;
  env?: NodeJS.ProcessEnv;
  /** Prepare again even when a prepared dataset with the same fingerprint exists. */
  force?: boolean;
}

/** The splits a mode cannot do without; the others are prepared when the source has them. */
export const REQUIRED_SPLITS: Record<MemeExperimentSpec["mode"], SplitRole[]> = {
  train: ["train", "validation"],
  evaluate: ["test"],
  predict: ["test"],
};
/** Largest side an image is decoded at: Faster R-CNN's usual maximum input size; extractors resize below it. */
const DECODE_MAX_SIDE = 1333;

export async function prepare(spec: MemeExperimentSpec, opts: PrepareOptions): Promise<PrepareReport> {
  const started = performance.now();
  const log = opts.log ?? silent;
  const timer = new StepTimer();
  const output = resolve(opts.workDir, "prepared");
  const storage = await ensureStorage(resolve(opts.storageDir ?? spec.dataset.storage.path));
  const cache = new DownloadCache(join(storage, "cache", "downloads"), opts.download ?? {});
  const source = createSource(spec.dataset.source, { cache, workDir: join(storage, "cache"), log, env: opts.env ?? process.env }, spec.dataset.layout);
  const required = REQUIRED_SPLITS[spec.mode];
  const inputs = await loadInputs(source, { splitNames: spec.dataset.splits, required, mode: spec.mode, text: spec.dataset.text, layout: spec.dataset.layout, log, timer });
  // Before hours of features: images the source lacks are known now, and a wrong image folder shows here.
  for (const role of inputs.rows.keys()) assertDropLimit(role, droppedBeforeDecoding(inputs, role, source.locate), rowsOf(inputs, role), spec.dataset.maxDroppedFraction);
  const tokenizer = await MemeTokenizer.load({ ...(opts.tokenizerPath ? { path: opts.tokenizerPath } : {}), cacheDir: join(storage, "cache", "tokenizers") });
  const tools = await openTools(spec, storage, { ...(opts.extractor !== undefined ? { extractor: opts.extractor } : {}), ...(opts.captioner ? { captioner: opts.captioner } : {}) });
  const { extractor, captioner } = tools;
  try {
    const fingerprint = await fingerprintOf(spec, inputs.rows, [tokenizer.fingerprint, extractor?.fingerprint, captioner?.fingerprint]);
    const previous = opts.force ? undefined : await reusable(output, fingerprint);
    if (previous) {
      log(`prepared dataset ${output} is up to date (fingerprint ${fingerprint.slice(0, 12)}): reused`);
      return { ...previous, reused: true, downloads: cache.stats, timings: timer.entries(), seconds: elapsed(started) };
    }

    const staging = `${output}.partial`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    const notes = new NoteCollector();
    const manifest: PreparedManifest = {
      format: PREPARED_FORMAT,
      fingerprint,
      maxSequenceLength: spec.training.maxSequenceLength,
      tokenizer: { origin: tokenizer.origin, fingerprint: tokenizer.fingerprint },
      features: extractor ? { extractor: extractor.name, fingerprint: extractor.fingerprint, regions: spec.features.regions, dim: extractor.dim } : null,
      captions: captioner ? { fingerprint: captioner.fingerprint } : null,
      splits: {},
    };
    const images = new Map<SplitRole, SplitOutcome["images"]>();
    for (const [role, rows] of inputs.rows) {
      log(`${role}: preparing ${rows.length} items`);
      const outcome = await prepareSplit({
        role,
        rows,
        outDir: join(staging, role),
        maxSequenceLength: spec.training.maxSequenceLength,
        tokenizer,
        textOptions: spec.dataset.text,
        ...(extractor ? { extractor: { extractor, regions: spec.features.regions } } : {}),
        ...(captioner ? { captioner } : {}),
        locate: (p) => source.locate(p),
        decodeMaxSide: DECODE_MAX_SIDE,
        timer,
        notes,
      });
      inputs.dropped.push(...outcome.dropped);
      images.set(role, outcome.images);
      manifest.splits[role] = outcome.summary;
      Object.assign(inputs.splits.get(role) as SplitReport, {
        dropped: inputs.dropped.filter((d) => d.split === role).length,
        items: outcome.summary.count,
        labelled: outcome.summary.labelled,
        positives: outcome.summary.positives,
        ...(outcome.summary.classes ? { classes: inMappingOrder(outcome.summary.classes, spec.dataset.layout.labels ?? {}) } : {}),
        truncatedTexts: outcome.truncated,
      });
      assertDropLimit(role, inputs.dropped.filter((d) => d.split === role), rowsOf(inputs, role), spec.dataset.maxDroppedFraction);
    }

    const report: PrepareReport = {
      format: REPORT_FORMAT,
      source: source.origin,
      sourceNotes: source.notes(),
      output,
      fingerprint,
      reused: false,
      splits: SPLIT_ROLES.flatMap((role) => inputs.splits.get(role) ?? []),
      sharedIds: inputs.sharedIds,
      sharedImages: findSharedImages(images),
      dropped: inputs.dropped,
      notes: notes.list(),
      tokenizer: { origin: tokenizer.origin, fingerprint: tokenizer.fingerprint, maxSequenceLength: spec.training.maxSequenceLength },
      features: manifest.features ? { ...manifest.features, cache: tools.featureCache } : { skipped: tools.noFeatures ?? "none" },
      captions: captioner ? { fingerprint: captioner.fingerprint, cache: tools.captionCache } : null,
      downloads: cache.stats,
      timings: timer.entries(),
      seconds: elapsed(started),
    };
    assertUsable(report, required);
    await writePreparedManifest(staging, manifest);
    await writeFile(join(staging, "prepare-report.json"), `${JSON.stringify(report, null, 2)}\n`);
    await rm(output, { recursive: true, force: true });
    await rename(staging, output);
    return report;
  } finally {
    await tools.close();
  }
}

async function ensureStorage(path: string): Promise<string> {
  try {
    await mkdir(path, { recursive: true });
    return path;
  } catch (err) {
    throw new Error(`storage path ${path} (spec.dataset.storage.path) cannot be created: ${(err as Error).message}`);
  }
}

/** Class counts in the order spec.dataset.layout.labels lists the classes (for HarMeme: not, somewhat, very harmful). */
function inMappingOrder(counts: Record<string, number>, mapping: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(mapping).filter((c) => c in counts).map((c) => [c, counts[c] as number]));
}

/** The rows a split's drop fraction is taken of: all it read, less identical repeats (those are not lost). */
function rowsOf(inputs: PrepareInputs, role: SplitRole): number {
  const s = inputs.splits.get(role);
  return s && !("missing" in s) ? s.rowsRead - s.duplicatesRemoved : 0;
}

/** What a split will certainly lose: bad rows and conflicts so far, and the rows whose image the source lacks. */
function droppedBeforeDecoding(inputs: PrepareInputs, role: SplitRole, locate: (relPath: string) => string): DroppedItem[] {
  const missing = (inputs.rows.get(role) ?? [])
    .filter((r) => r.imagePath === null)
    .map((r) => ({ split: role, id: r.id, where: r.where, reason: missingImageReason(locate(r.img)) }));
  return [...inputs.dropped.filter((d) => d.split === role), ...missing];
}

/** A required split left with no items is an error: training on nothing is not a result. */
function assertUsable(report: PrepareReport, required: readonly SplitRole[]): void {
  for (const s of report.splits) {
    if (!("missing" in s) && s.items === 0 && required.includes(s.role)) {
      const reasons = report.dropped.filter((d) => d.split === s.role).slice(0, 3).map((d) => `${d.id}: ${d.reason}`);
      throw new Error(`the ${s.role} split of ${report.source} has no usable item (${s.rowsRead} rows; ${reasons.join("; ") || "empty"})`);
    }
  }
}

/**
 * Identifies everything the prepared bytes depend on: the dataset spec (not where it is stored), the sequence
 * length and regions, the tools' fingerprints, the rows, and each image file's size and mtime (cheap to read; a
 * changed file changes it). Equal fingerprints: the prepared dataset on disk can be reused.
 */
async function fingerprintOf(spec: MemeExperimentSpec, rows: Map<SplitRole, PrepareRow[]>, tools: (string | undefined)[]): Promise<string> {
  const hash = createHash("sha256");
  // Where data is stored and how many rows a split may lose change nothing in the prepared bytes.
  const { storage: _where, maxDroppedFraction: _limit, ...dataset } = spec.dataset;
  hash.update(JSON.stringify({ format: PREPARED_FORMAT, dataset, maxLen: spec.training.maxSequenceLength, regions: spec.features.regions }));
  hash.update(JSON.stringify({ tools, minSide: MIN_IMAGE_SIDE, maxSide: DECODE_MAX_SIDE }));
  for (const [role, splitRows] of rows) {
    const stats = await mapLimit(splitRows, 16, async (r) => (r.imagePath ? stat(r.imagePath).then((s) => `${s.size}:${s.mtimeMs}`) : "-"));
    splitRows.forEach((r, i) => hash.update(`${role}\t${r.id}\t${r.img}\t${r.label}\t${r.class ?? ""}\t${r.text}\t${stats[i]}\n`));
  }
  return hash.digest("hex");
}

async function reusable(output: string, fingerprint: string): Promise<PrepareReport | undefined> {
  try {
    const manifest = await readPreparedManifest(output);
    if (manifest.fingerprint !== fingerprint) return undefined;
    return JSON.parse(await readFile(join(output, "prepare-report.json"), "utf8")) as PrepareReport;
  } catch {
    return undefined;
  }
}

const elapsed = (since: number) => Math.round(performance.now() - since) / 1000;
