// Feature extraction through the feature cache: hits are read, misses extracted in batches and written back.
import { collectInOrder, runCachedBatches, type BatchStats, type ImageSource } from "./batch-pipeline.ts";
import { FeatureCache } from "./cache/feature-cache.ts";
import type { FeatureExtractor, RegionFeatures } from "./extractor.ts";
import { withRealRegions, type CountedRegionFeatures } from "./region-count.ts";

export interface ExtractionStats extends BatchStats {
  /** Cache files found damaged; they were recomputed and overwritten. */
  corrupt: number;
}

export interface ExtractOptions {
  batchSize: number;
  /** Receives each image's features by input index (in no particular order); nothing is kept in memory. */
  onFeatures?: (index: number, features: CountedRegionFeatures) => void | Promise<void>;
}

export async function extractToCache(
  extractor: FeatureExtractor,
  cache: FeatureCache,
  images: readonly ImageSource[],
  options: ExtractOptions,
): Promise<ExtractionStats> {
  let corrupt = 0;
  const keyOf = (image: ImageSource) => FeatureCache.key(image.sha256, extractor.fingerprint);
  const stats = await runCachedBatches<CountedRegionFeatures>({
    images,
    batchSize: options.batchSize,
    lookup: async (image) => {
      const found = await cache.lookup(keyOf(image));
      if (found.status === "hit" && found.value.dim === extractor.dim) return found.value;
      if (found.status !== "miss") corrupt++;
      return undefined;
    },
    compute: async (decoded) => (await extractor.extract(decoded)).map((f, i) => checked(extractor, decoded[i]!.sha256, f)),
    store: (image, value) => cache.put(keyOf(image), value),
    emit: (index, value) => options.onFeatures?.(index, value),
  });
  return { ...stats, corrupt };
}

/** All features in input order. Holds them in memory: for large datasets use extractToCache and read the cache. */
export async function extractWithCache(
  extractor: FeatureExtractor,
  cache: FeatureCache,
  images: readonly ImageSource[],
  batchSize: number,
): Promise<ExtractionStats & { features: CountedRegionFeatures[] }> {
  const collected = collectInOrder<CountedRegionFeatures>(images.length);
  const stats = await extractToCache(extractor, cache, images, { batchSize, onFeatures: collected.emit });
  return { ...stats, features: collected.values };
}

/** An extractor's output is checked before it is cached: wrong shapes or non-finite values are errors, not data. */
function checked(extractor: FeatureExtractor, sha256: string, value: RegionFeatures | undefined): CountedRegionFeatures {
  const where = `${extractor.name} on image ${sha256}`;
  if (!value) throw new Error(`${where}: no result`);
  const { regions, dim, features, boxes } = value;
  if (dim !== extractor.dim || features.length !== regions * dim || boxes.length !== regions * 5) {
    throw new Error(`${where}: features [${features.length}] / boxes [${boxes.length}] do not match R=${regions}, D=${dim}`);
  }
  for (const array of [features, boxes]) {
    for (let i = 0; i < array.length; i++) {
      if (!Number.isFinite(array[i]!)) throw new Error(`${where}: non-finite value at ${i}`);
    }
  }
  return withRealRegions(value);
}
