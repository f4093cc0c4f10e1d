// A BatchSource over arrays held in memory: for tests, benchmarks and small toy sets.
import type { Batch, BatchOptions, BatchSource, Dims } from "../common/batch.ts";
import { permutation } from "../common/rng.ts";

/** All samples of a split as one big Batch (B = number of samples). */
export class InMemoryBatchSource implements BatchSource {
  readonly size: number;
  constructor(readonly dims: Dims, private readonly all: Batch) {
    this.size = all.ids.length;
  }

  *batches(batchSize: number, opts: BatchOptions = {}): Iterable<Batch> {
    const order = opts.shuffleSeed === undefined ? [...Array(this.size).keys()] : permutation(this.size, opts.shuffleSeed);
    for (let start = 0; start < this.size; start += batchSize) yield this.take(order.slice(start, start + batchSize));
  }

  /** The samples at `rows`, in that order. */
  take(rows: number[]): Batch {
    const { T, R, D } = this.dims;
    const pick = <A extends Int32Array | Float32Array>(src: A, width: number): A => {
      const out = new (src.constructor as new (n: number) => A)(rows.length * width);
      rows.forEach((row, i) => out.set(src.subarray(row * width, (row + 1) * width), i * width));
      return out;
    };
    return {
      ids: rows.map((r) => this.all.ids[r]!),
      inputIds: pick(this.all.inputIds, T),
      attentionMask: pick(this.all.attentionMask, T),
      tokenTypeIds: pick(this.all.tokenTypeIds, T),
      features: pick(this.all.features, R * D),
      boxes: pick(this.all.boxes, R * 5),
      regionMask: pick(this.all.regionMask, R),
      labels: pick(this.all.labels, 1),
    };
  }
}
