// A BatchSource over one split of the prepare stage's output (WORKDIR/prepared). BatchSource.batches() is
// synchronous, so the split is read into memory once (InMemoryBatchSource); fine for the sizes `memeops run`
// trains on locally (quickstart: 512 memes x 16 regions x 12 floats). A streaming source is future work.
import type { SplitRole } from "../data/splits.ts";
import { openPreparedSplit, readPreparedManifest, type PreparedItem } from "../data/prepared.ts";
import type { Dims } from "../common/batch.ts";
import { InMemoryBatchSource } from "../training/memory-source.ts";

export interface PreparedSource extends InMemoryBatchSource {
  items: PreparedItem[];
}

/** The dims a model needs for this prepared dataset: T from the tokenizer length, R and D from the features. */
export async function preparedDims(preparedDir: string): Promise<Dims> {
  const m = await readPreparedManifest(preparedDir);
  if (!m.features) {
    throw new Error(`${preparedDir} was prepared without region features; the ViLBERT models need spec.features.extractor`);
  }
  return { T: m.maxSequenceLength, R: m.features.regions, D: m.features.dim };
}

export async function loadPreparedSource(preparedDir: string, role: SplitRole): Promise<PreparedSource> {
  const dims = await preparedDims(preparedDir);
  const s = await openPreparedSplit(preparedDir, role);
  try {
    const n = s.items.length;
    if (!s.features || !s.boxes || !s.regionMask) throw new Error(`${preparedDir}/${role}: feature files are missing`);
    const all = {
      ids: s.items.map((i) => i.id),
      inputIds: (await s.inputIds.read(0, n)) as Int32Array,
      attentionMask: (await s.attentionMask.read(0, n)) as Int32Array,
      tokenTypeIds: (await s.tokenTypeIds.read(0, n)) as Int32Array,
      features: (await s.features.read(0, n)) as Float32Array,
      boxes: (await s.boxes.read(0, n)) as Float32Array,
      regionMask: (await s.regionMask.read(0, n)) as Int32Array,
      labels: (await s.labels.read(0, n)) as Int32Array,
    };
    const source = new InMemoryBatchSource(dims, all) as PreparedSource;
    source.items = s.items;
    return source;
  } finally {
    await s.close();
  }
}
