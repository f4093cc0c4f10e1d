// One split, batch by batch: check and decode each image, caption it (when enabled), extract its features (when an
// extractor is given), tokenize the text, append to the prepared split. An item that fails any step is dropped
// with its reason and nothing of it is written. Output order is the row order, whatever finishes first.
import type { DecodedImage, FeatureExtractor, RegionFeatures } from "../features/extractor.ts";
import type { DecodeResult } from "../data/decode.ts";
import { checkImage, type ImageCheck } from "../data/image-check.ts";
import { mapLimit } from "../data/map-limit.ts";
import { PreparedSplitWriter, type PreparedSplitSummary } from "../data/prepared.ts";
import type { SourceRow } from "../data/rows.ts";
import type { SplitRole } from "../data/splits.ts";
import { cleanText, type TextCleanOptions } from "../text/clean.ts";
import type { MemeTokenizer } from "../text/tokenizer.ts";
import { extractFeatures, realRegions } from "./prepare-features.ts";
import type { DroppedItem, NoteCollector } from "./prepare-report.ts";
import type { StepTimer } from "./step-timer.ts";

/** What the prepare stage needs from an image captioner (BLIP, captions/blip-captioner.ts): one caption per image. */
export interface Captioner {
  /** Everything that changes the captions: part of the prepared dataset's fingerprint and the caption cache key. */
  readonly fingerprint: string;
  caption(images: DecodedImage[]): Promise<string[]>;
}

/** A source row ready for the per-item steps: its text cleaned by now, its image made local (or known missing). */
export interface PrepareRow extends SourceRow {
  imagePath: string | null;
}

export interface SplitJob {
  role: SplitRole;
  rows: PrepareRow[];
  outDir: string;
  maxSequenceLength: number;
  tokenizer: MemeTokenizer;
  textOptions: TextCleanOptions;
  extractor?: { extractor: FeatureExtractor; regions: number };
  captioner?: Captioner;
  /** Where an image comes from, for a "missing" reason. */
  locate: (relPath: string) => string;
  decodeMaxSide: number;
  timer: StepTimer;
  notes: NoteCollector;
}

export interface SplitOutcome {
  summary: PreparedSplitSummary;
  dropped: DroppedItem[];
  truncated: number;
  /** Each written item's image hash, to find images shared between splits. */
  images: { id: string; sha256: string }[];
}

const BATCH = 16;
const DECODE_CONCURRENCY = 4;

/** An item that has passed every step so far. */
interface LiveItem {
  row: PrepareRow;
  decoded: DecodeResult;
  caption?: string;
  regions?: RegionFeatures;
}

export async function prepareSplit(job: SplitJob): Promise<SplitOutcome> {
  const { role, timer, notes } = job;
  const features = job.extractor && { regions: job.extractor.regions, dim: job.extractor.extractor.dim };
  const writer = await PreparedSplitWriter.create(job.outDir, job.maxSequenceLength, features);
  const dropped: DroppedItem[] = [];
  const drop = (row: PrepareRow, reason: string) => dropped.push({ split: role, id: row.id, where: row.where, reason });
  let truncated = 0;
  const images: SplitOutcome["images"] = [];

  // Images of the next batch decode (on libuv threads) while this batch's captions and features are computed.
  const decodeBatch = (start: number): Promise<ImageCheck[]> =>
    mapLimit(job.rows.slice(start, start + BATCH), DECODE_CONCURRENCY, (row) => checkImage(row.imagePath, job.locate(row.img), { maxSide: job.decodeMaxSide }));
  let decoding = decodeBatch(0);
  for (let start = 0; start < job.rows.length; start += BATCH) {
    const batch = job.rows.slice(start, start + BATCH);
    const checks = await timer.time("decode", () => decoding);
    if (start + BATCH < job.rows.length) decoding = decodeBatch(start + BATCH);
    let live = batch.flatMap((row, i): LiveItem[] => {
      const check = checks[i];
      if (!check?.ok) return drop(row, check?.reason ?? "image not checked"), [];
      for (const note of check.decoded.notes) notes.add(role, row.id, note);
      return [{ row, decoded: check.decoded }];
    });

    if (job.captioner && live.length) {
      const captioner = job.captioner;
      const captions = await timer.time("captions", () => captioner.caption(live.map((l) => l.decoded.image)));
      if (captions.length !== live.length) throw new Error(`the captioner returned ${captions.length} captions for ${live.length} images`);
      live.forEach((l, i) => (l.caption = cleanText(captions[i] ?? "", job.textOptions)));
    }

    if (job.extractor && live.length) {
      const { extractor, regions } = job.extractor;
      const results = await timer.time("features", () => extractFeatures(live.map((l) => l.decoded.image), extractor, regions));
      live = live.filter((l, i) => {
        const r = results[i];
        if (r?.ok) l.regions = r.regions;
        else drop(l.row, r?.reason ?? "no features");
        return r?.ok === true;
      });
    }

    const encoded = await timer.time("tokenize", async () => live.map((l) => job.tokenizer.encode(l.row.text, l.caption, job.maxSequenceLength)));
    await timer.time("write", async () => {
      for (const [i, l] of live.entries()) {
        const enc = encoded[i];
        if (!enc) continue;
        if (enc.truncated) truncated++;
        images.push({ id: l.row.id, sha256: l.decoded.image.sha256 });
        if (l.row.text === "") notes.add(role, l.row.id, "empty text after cleanup");
        const { image, format, originalWidth, originalHeight } = l.decoded;
        await writer.add(
          {
            id: l.row.id,
            label: l.row.label,
            ...(l.row.class !== undefined ? { class: l.row.class } : {}),
            text: l.row.text,
            ...(l.caption !== undefined ? { caption: l.caption } : {}),
            image: { path: l.row.img, sha256: image.sha256, width: originalWidth, height: originalHeight, format },
            tokens: enc.length,
            truncated: enc.truncated,
          },
          enc,
          l.regions,
          l.regions && realRegions(l.regions),
        );
      }
    });
  }
  return { summary: await writer.close(), dropped, truncated, images };
}
