// training.freeze's cache: the frozen parts' outputs (embeddings and first layers of a stream, computed without
// dropout) depend only on each sample's own input and fixed weights, so they are computed once per sample, like
// the visual features, and every batch carries them (Batch.textHidden / visualHidden). The model then starts each
// stream after its frozen part, and an epoch costs only the trainable part. The cache lives in memory:
// T x Ht floats (plus (R + 1) x Hv with a frozen visual part) per sample, e.g. 64 x 384 x 4 B = 98 KB.
import * as tf from "@tensorflow/tfjs";
import type { Batch, BatchOptions, BatchSource, Dims } from "../common/batch.ts";
import type { Model } from "../models/model.ts";
import { disposeInputs, toModelInputs } from "../models/layers/inputs.ts";

interface StreamCache {
  /** values per sample */
  width: number;
  values: Float32Array;
}

export class FrozenOutputSource implements BatchSource {
  readonly size: number;
  readonly dims: Dims;

  private constructor(
    private readonly source: BatchSource,
    private readonly rowOf: Map<string, number>,
    private readonly text: StreamCache | null,
    private readonly visual: StreamCache | null,
    /** seconds the frozen parts took, once */
    readonly seconds: number,
  ) {
    this.size = source.size;
    this.dims = source.dims;
  }

  /** Runs the model's frozen parts over every sample of `source` once. */
  static build(model: Model, source: BatchSource, batchSize: number): FrozenOutputSource {
    const started = performance.now();
    const rowOf = new Map<string, number>();
    let text: StreamCache | null = null;
    let visual: StreamCache | null = null;
    const store = (cache: StreamCache | null, t: tf.Tensor | undefined, at: number, b: number): StreamCache | null => {
      if (!t) return cache;
      const values = t.dataSync() as Float32Array;
      const c = cache ?? { width: values.length / b, values: new Float32Array((values.length / b) * source.size) };
      c.values.set(values, at * c.width);
      return c;
    };
    for (const batch of source.batches(batchSize, {})) {
      const at = rowOf.size;
      batch.ids.forEach((id, i) => {
        if (rowOf.has(id)) throw new Error(`training.freeze: sample id ${id} appears twice in a split; the cache is keyed by id`);
        rowOf.set(id, at + i);
      });
      const inputs = toModelInputs(batch, source.dims);
      const out = model.frozenOutputs(inputs);
      text = store(text, out.text, at, batch.ids.length);
      visual = store(visual, out.visual, at, batch.ids.length);
      tf.dispose([out.text, out.visual].filter((t) => t !== undefined));
      disposeInputs(inputs);
    }
    if (rowOf.size !== source.size) throw new Error(`source yielded ${rowOf.size} samples, declared size ${source.size}`);
    return new FrozenOutputSource(source, rowOf, text, visual, (performance.now() - started) / 1000);
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

function gather(cache: StreamCache, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * cache.width);
  rows.forEach((row, i) => out.set(cache.values.subarray(row * cache.width, (row + 1) * cache.width), i * cache.width));
  return out;
}

/** `source` with the frozen parts' outputs attached, or `source` itself when nothing is frozen. */
export function withFrozenOutputs(model: Model, source: BatchSource, batchSize: number): BatchSource {
  const f = model.frozen;
  return f.text === null && f.visual === null ? source : FrozenOutputSource.build(model, source, batchSize);
}
