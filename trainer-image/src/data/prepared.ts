// The prepared dataset on disk: what the prepare stage writes and the training loop reads.
//   <dir>/manifest.json            PreparedManifest (format, fingerprint, tokenizer, features, per-split counts)
//   <dir>/<split>/items.jsonl      one PreparedItem per line; line i is row i of every tensor file of the split
//   <dir>/<split>/input_ids.bin    int32 [N, T]     (T = training.maxSequenceLength)
//   <dir>/<split>/attention_mask.bin int32 [N, T]
//   <dir>/<split>/token_type_ids.bin int32 [N, T]
//   <dir>/<split>/labels.bin       int32 [N]        (0, 1, or -1 where the source has no label)
//   <dir>/<split>/features.bin     float32 [N, R, D] (only when features were extracted)
//   <dir>/<split>/boxes.bin        float32 [N, R, 5] x1/W, y1/H, x2/W, y2/H, area/(W*H)
//   <dir>/<split>/region_mask.bin  int32 [N, R]     1 for a real region; 0 for padding after a detector's last box
//                                                   (the padded rows of features and boxes are zeros and must be
//                                                   masked out, as ViLBERT's image attention mask does)
// Tensor files are described in tensor-file.ts. <split> is the role: train, validation, test.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RegionFeatures } from "../common/image-features.ts";
import type { EncodedText } from "../text/tokenizer.ts";
import type { Label } from "./rows.ts";
import type { SplitRole } from "./splits.ts";
import { TensorReader, TensorWriter } from "./tensor-file.ts";

export const PREPARED_FORMAT = "memeops.prepared/v1";
export const NO_LABEL = -1;

export interface PreparedItem {
  id: string;
  label: Label;
  /** The source's class before spec.dataset.layout.labels mapped it to `label` (HarMeme: "very harmful"). */
  class?: string;
  /** The cleaned text: exactly what was tokenized. */
  text: string;
  /** The cleaned caption, when captions are enabled. */
  caption?: string;
  image: { path: string; sha256: string; width: number; height: number; format: string };
  /** Real tokens ([CLS]/[SEP] included) before padding. */
  tokens: number;
  truncated: boolean;
}

export interface PreparedSplitSummary {
  count: number;
  labelled: number;
  positives: number;
  /** Items per source class, when spec.dataset.layout.labels maps classes. */
  classes?: Record<string, number>;
}

export interface PreparedManifest {
  format: typeof PREPARED_FORMAT;
  /** Changes whenever anything that changes the prepared bytes changes (spec.dataset, tokenizer, extractor...). */
  fingerprint: string;
  maxSequenceLength: number;
  tokenizer: { origin: string; fingerprint: string };
  features: { extractor: string; fingerprint: string; regions: number; dim: number } | null;
  captions: { fingerprint: string } | null;
  splits: Partial<Record<SplitRole, PreparedSplitSummary>>;
}

const FILES = {
  items: "items.jsonl",
  inputIds: "input_ids.bin",
  attentionMask: "attention_mask.bin",
  tokenTypeIds: "token_type_ids.bin",
  labels: "labels.bin",
  features: "features.bin",
  boxes: "boxes.bin",
  regionMask: "region_mask.bin",
} as const;

/** Appends items of one split; row order is the order of add() calls. */
export class PreparedSplitWriter {
  private lines: string[] = [];
  private summary: PreparedSplitSummary = { count: 0, labelled: 0, positives: 0 };

  private constructor(
    private readonly dir: string,
    private readonly tensors: {
      inputIds: TensorWriter;
      attentionMask: TensorWriter;
      tokenTypeIds: TensorWriter;
      labels: TensorWriter;
      features?: TensorWriter;
      boxes?: TensorWriter;
      regionMask?: TensorWriter;
    },
    private readonly regions = 0,
  ) {}

  static async create(dir: string, maxLength: number, features?: { regions: number; dim: number }): Promise<PreparedSplitWriter> {
    await mkdir(dir, { recursive: true });
    const int32 = (file: string, shape: number[]) => TensorWriter.create(join(dir, file), "int32", shape);
    const float32 = (file: string, shape: number[]) => TensorWriter.create(join(dir, file), "float32", shape);
    return new PreparedSplitWriter(
      dir,
      {
        inputIds: await int32(FILES.inputIds, [maxLength]),
        attentionMask: await int32(FILES.attentionMask, [maxLength]),
        tokenTypeIds: await int32(FILES.tokenTypeIds, [maxLength]),
        labels: await int32(FILES.labels, []),
        ...(features
          ? {
              features: await float32(FILES.features, [features.regions, features.dim]),
              boxes: await float32(FILES.boxes, [features.regions, 5]),
              regionMask: await int32(FILES.regionMask, [features.regions]),
            }
          : {}),
      },
      features?.regions ?? 0,
    );
  }

  /** `realRegions`: how many of the regions are real (the rest are padding), default all. */
  async add(item: PreparedItem, encoded: EncodedText, regions?: RegionFeatures, realRegions = regions?.regions ?? 0): Promise<void> {
    const t = this.tensors;
    if (Boolean(t.features) !== Boolean(regions)) throw new Error(`item ${item.id}: features ${regions ? "given to a split without" : "missing"}`);
    await t.inputIds.append(encoded.inputIds);
    await t.attentionMask.append(encoded.attentionMask);
    await t.tokenTypeIds.append(encoded.tokenTypeIds);
    await t.labels.append(Int32Array.of(item.label ?? NO_LABEL));
    if (regions && t.features && t.boxes && t.regionMask) {
      if (regions.regions > this.regions) throw new Error(`item ${item.id}: ${regions.regions} regions, at most ${this.regions}`);
      const padded = (values: Float32Array, width: number) => {
        const out = new Float32Array(this.regions * width);
        out.set(values);
        return out;
      };
      await t.features.append(padded(regions.features, regions.dim));
      await t.boxes.append(padded(regions.boxes, 5));
      await t.regionMask.append(new Int32Array(this.regions).fill(1, 0, Math.min(realRegions, regions.regions)));
    }
    this.lines.push(JSON.stringify(item));
    this.summary.count++;
    if (item.label !== null) this.summary.labelled++;
    if (item.label === 1) this.summary.positives++;
    if (item.class !== undefined) {
      const classes = (this.summary.classes ??= {});
      classes[item.class] = (classes[item.class] ?? 0) + 1;
    }
  }

  async close(): Promise<PreparedSplitSummary> {
    for (const writer of Object.values(this.tensors)) await writer.close();
    await writeFile(join(this.dir, FILES.items), this.lines.length ? `${this.lines.join("\n")}\n` : "");
    return this.summary;
  }
}

export async function readPreparedManifest(dir: string): Promise<PreparedManifest> {
  const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as PreparedManifest;
  if (manifest.format !== PREPARED_FORMAT) throw new Error(`${dir}: not a ${PREPARED_FORMAT} dataset (format ${manifest.format})`);
  return manifest;
}

export async function writePreparedManifest(dir: string, manifest: PreparedManifest): Promise<void> {
  await writeFile(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

export interface PreparedSplit {
  items: PreparedItem[];
  inputIds: TensorReader;
  attentionMask: TensorReader;
  tokenTypeIds: TensorReader;
  labels: TensorReader;
  /** Absent when the dataset was prepared without a feature extractor. */
  features?: TensorReader;
  boxes?: TensorReader;
  regionMask?: TensorReader;
  close(): Promise<void>;
}

/** Open one split for reading: items in memory, tensors read row range by row range. */
export async function openPreparedSplit(dir: string, role: SplitRole): Promise<PreparedSplit> {
  const manifest = await readPreparedManifest(dir);
  if (!manifest.splits[role]) throw new Error(`${dir}: no ${role} split was prepared`);
  const splitDir = join(dir, role);
  const text = await readFile(join(splitDir, FILES.items), "utf8");
  const items = text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as PreparedItem);
  const open = (file: string) => TensorReader.open(join(splitDir, file));
  const tensors = {
    inputIds: await open(FILES.inputIds),
    attentionMask: await open(FILES.attentionMask),
    tokenTypeIds: await open(FILES.tokenTypeIds),
    labels: await open(FILES.labels),
    ...(manifest.features
      ? { features: await open(FILES.features), boxes: await open(FILES.boxes), regionMask: await open(FILES.regionMask) }
      : {}),
  };
  for (const [name, reader] of Object.entries(tensors)) {
    if (reader.rows !== items.length) throw new Error(`${splitDir}: ${name} has ${reader.rows} rows for ${items.length} items`);
  }
  return {
    items,
    ...tensors,
    close: async () => {
      for (const reader of Object.values(tensors)) await reader.close();
    },
  };
}
