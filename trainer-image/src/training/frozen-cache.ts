// training.freeze's cache: the frozen parts' outputs (embeddings and first layers of a stream, computed without
// dropout) depend only on each sample's own input and fixed weights, so they are computed once per sample, like
// the visual features, and every batch carries them (Batch.textHidden / visualHidden). The model then starts each
// stream after its frozen part, and an epoch costs only the trainable part. In memory it takes T x Ht floats per
// sample (plus (R + 1) x Hv with a frozen visual part), e.g. 64 x 384 x 4 B = 98 KB.
// With a directory, the outputs are also kept on disk under a key made of everything they depend on (the frozen
// weights' values, which parts are frozen, the dims, the backend, and every sample's id and inputs of the frozen
// streams), so runs that share the frozen weights and data (seeds, text-only and fused models from one pretrained
// file) compute them once; a changed weight or sample is a new key, never a stale hit.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { Batch, BatchOptions, BatchSource, Dims } from "../common/batch.ts";
import type { Model } from "../models/model.ts";
import { disposeInputs, toModelInputs } from "../models/layers/inputs.ts";
import { paramNameOf } from "../models/layers/params.ts";
import { writeFileAtomic } from "../common/atomic-write.ts";

const FORMAT = "memeops-frozen-outputs-v1";

interface StreamCache {
  /** values per sample */
  width: number;
  values: Float32Array;
}

interface Stored {
  format: typeof FORMAT;
  samples: number;
  textWidth: number | null;
  visualWidth: number | null;
}

export class FrozenOutputSource implements BatchSource {
  readonly size: number;
  readonly dims: Dims;

  private constructor(
    private readonly source: BatchSource,
    private readonly rowOf: Map<string, number>,
    private readonly text: StreamCache | null,
    private readonly visual: StreamCache | null,
    /** seconds it took to have the outputs: computing them, or reading them from disk */
    readonly seconds: number,
    /** read from the disk cache rather than computed */
    readonly fromDisk: boolean,
  ) {
    this.size = source.size;
    this.dims = source.dims;
  }

  /** Runs the model's frozen parts over every sample of `source` once (or reads them from `cacheDir`). */
  static async build(model: Model, source: BatchSource, batchSize: number, cacheDir?: string): Promise<FrozenOutputSource> {
    const started = performance.now();
    const rowOf = new Map<string, number>();
    for (const batch of source.batches(batchSize, {})) {
      for (const id of batch.ids) {
        if (rowOf.has(id)) throw new Error(`training.freeze: sample id ${id} appears twice in a split; the cache is keyed by id`);
        rowOf.set(id, rowOf.size);
      }
    }
    if (rowOf.size !== source.size) throw new Error(`source yielded ${rowOf.size} samples, declared size ${source.size}`);
    const path = cacheDir ? join(cacheDir, cacheKey(model, source, batchSize)) : null;
    const stored = path ? await readStored(path, source.size) : null;
    const { text, visual } = stored ?? compute(model, source, batchSize);
    if (path && !stored) await writeStored(path, source.size, text, visual);
    return new FrozenOutputSource(source, rowOf, text, visual, (performance.now() - started) / 1000, stored !== null);
  }

  /** bytes held by the cache */
  get bytes(): number {
    return (this.text?.values.byteLength ?? 0) + (this.visual?.values.byteLength ?? 0);
  }

  *batches(batchSize: number, opts: BatchOptions): Iterable<Batch> {
    for (const batch of this.source.batches(batchSize, opts)) {
      const rows = batch.ids.map((id) => {
        const row = this.rowOf.get(id);
        if (row === undefined) throw new Error(`training.freeze: sample ${id} was not in the split the cache was built from`);
        return row;
      });
      yield {
        ...batch,
        ...(this.text ? { textHidden: gather(this.text, rows) } : {}),
        ...(this.visual ? { visualHidden: gather(this.visual, rows) } : {}),
      };
    }
  }
}

function compute(model: Model, source: BatchSource, batchSize: number): { text: StreamCache | null; visual: StreamCache | null } {
  let text: StreamCache | null = null;
  let visual: StreamCache | null = null;
  let at = 0;
  const store = (cache: StreamCache | null, t: tf.Tensor | undefined, b: number): StreamCache | null => {
    if (!t) return cache;
    const values = t.dataSync() as Float32Array;
    const c = cache ?? { width: values.length / b, values: new Float32Array((values.length / b) * source.size) };
    c.values.set(values, at * c.width);
    return c;
  };
  for (const batch of source.batches(batchSize, {})) {
    const inputs = toModelInputs(batch, source.dims);
    const out = model.frozenOutputs(inputs);
    text = store(text, out.text, batch.ids.length);
    visual = store(visual, out.visual, batch.ids.length);
    tf.dispose([out.text, out.visual].filter((t) => t !== undefined));
    disposeInputs(inputs);
    at += batch.ids.length;
  }
  return { text, visual };
}

/** sha256 of everything the frozen outputs depend on; the same whatever the batch size. */
function cacheKey(model: Model, source: BatchSource, batchSize: number): string {
  type Bytes = ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
  const view = (a: Bytes) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  // the backend too: wasm and native TensorFlow round differently, and a run should read what its backend computes
  const weights = createHash("sha256").update(`${FORMAT}\n${tf.getBackend()}\n${JSON.stringify(model.frozen)}\n${JSON.stringify(source.dims)}\n`);
  const frozen = [...model.params.variables].filter(([, v]) => !v.trainable).sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [name, v] of frozen) weights.update(`${paramNameOf(name)} ${v.shape.join("x")}\n`).update(view(v.dataSync() as Float32Array));
  // one hash per input array, each fed sample after sample: batch boundaries leave no trace
  const ids = createHash("sha256");
  const text = [0, 1, 2].map(() => createHash("sha256"));
  const visual = [0, 1, 2].map(() => createHash("sha256"));
  for (const batch of source.batches(batchSize, {})) {
    for (const id of batch.ids) ids.update(`${id}\n`);
    if (model.frozen.text !== null) [batch.inputIds, batch.attentionMask, batch.tokenTypeIds].forEach((a, i) => text[i]!.update(view(a)));
    if (model.frozen.visual !== null) [batch.features, batch.boxes, batch.regionMask].forEach((a, i) => visual[i]!.update(view(a)));
  }
  return createHash("sha256").update([weights, ids, ...text, ...visual].map((h) => h.digest("hex")).join(" ")).digest("hex");
}

async function readStored(path: string, samples: number): Promise<{ text: StreamCache | null; visual: StreamCache | null } | null> {
  try {
    const meta = JSON.parse(await readFile(`${path}.json`, "utf8")) as Stored;
    const data = await readFile(`${path}.f32`);
    const textSize = (meta.textWidth ?? 0) * samples;
    const visualSize = (meta.visualWidth ?? 0) * samples;
    if (meta.format !== FORMAT || meta.samples !== samples || data.byteLength !== 4 * (textSize + visualSize)) return null;
    const all = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    return {
      text: meta.textWidth ? { width: meta.textWidth, values: all.subarray(0, textSize) } : null,
      visual: meta.visualWidth ? { width: meta.visualWidth, values: all.subarray(textSize) } : null,
    };
  } catch {
    return null; // not there yet (or unreadable): computed and written again
  }
}

/** The values, then the description that makes them valid: a reader never finds a description without its data. */
async function writeStored(path: string, samples: number, text: StreamCache | null, visual: StreamCache | null): Promise<void> {
  const all = new Float32Array((text?.values.length ?? 0) + (visual?.values.length ?? 0));
  if (text) all.set(text.values);
  if (visual) all.set(visual.values, text?.values.length ?? 0);
  await writeFileAtomic(`${path}.f32`, new Uint8Array(all.buffer));
  const meta: Stored = { format: FORMAT, samples, textWidth: text?.width ?? null, visualWidth: visual?.width ?? null };
  await writeFileAtomic(`${path}.json`, JSON.stringify(meta));
}

function gather(cache: StreamCache, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * cache.width);
  rows.forEach((row, i) => out.set(cache.values.subarray(row * cache.width, (row + 1) * cache.width), i * cache.width));
  return out;
}

/** `source` with the frozen parts' outputs attached, or `source` itself when nothing is frozen. */
export async function withFrozenOutputs(model: Model, source: BatchSource, batchSize: number, cacheDir?: string): Promise<BatchSource> {
  const f = model.frozen;
  return f.text === null && f.visual === null ? source : FrozenOutputSource.build(model, source, batchSize, cacheDir);
}
