// The trainer's input contract: plain typed arrays, so any source (the prepare stage's files, an in-memory toy set)
// can feed the model without knowing about tensors.

export interface Dims {
  /** tokens per text ([CLS] and [SEP] included) */
  T: number;
  /** regions per image */
  R: number;
  /** feature size per region */
  D: number;
}

export interface Batch {
  ids: string[];
  /** int32 [B, T] */
  inputIds: Int32Array;
  /** [B, T], 1 = real token, 0 = padding */
  attentionMask: Int32Array | Float32Array;
  /** int32 [B, T] */
  tokenTypeIds: Int32Array;
  /** [B, R, D] */
  features: Float32Array;
  /** [B, R, 5]: x1/W, y1/H, x2/W, y2/H, area */
  boxes: Float32Array;
  /** [B, R], 1 = real region, 0 = padding */
  regionMask: Int32Array | Float32Array;
  /** [B]: 0 or 1; -1 = unknown (predict mode) */
  labels: Int32Array;
  /** [B, T, Ht]: the text stream's frozen part's output, when training.freeze caches it (frozen-cache.ts) */
  textHidden?: Float32Array;
  /** [B, R + 1, Hv]: the visual stream's frozen part's output (whole-image region first) */
  visualHidden?: Float32Array;
}

export interface BatchOptions {
  /** shuffle with this seed; in file order when absent */
  shuffleSeed?: number;
}

/** One split. Batches cover every sample once; the last one may be smaller. */
export interface BatchSource {
  size: number;
  dims: Dims;
  batches(batchSize: number, opts: BatchOptions): Iterable<Batch>;
}
