// The feature extractor and captioner the prepare stage runs, each behind the shared caches of
// trainer-image/src/features and src/captions (keyed by image sha256 and the tool's fingerprint), so a second
// experiment on the same images extracts and captions nothing again. Extractor and captioner are built from the
// spec (model files fetched by the features code) unless the caller gives them; building them loads ONNX Runtime,
// so that happens only when one is needed.
import { join } from "node:path";
import type { MemeExperimentSpec } from "../../../api/v1alpha1/spec.ts";
import { captionWithCache } from "../captions/caption-with-cache.ts";
import { CaptionCache } from "../captions/caption-cache.ts";
import type { BatchStats, ImageSource } from "../features/batch-pipeline.ts";
import { FeatureCache } from "../features/cache/feature-cache.ts";
import { extractWithCache } from "../features/extract-with-cache.ts";
import type { DecodedImage, FeatureExtractor } from "../features/extractor.ts";
import type { Captioner } from "./prepare-split.ts";

export interface PrepareTools {
  extractor?: FeatureExtractor;
  /** Why there are no features, when there are none. */
  noFeatures?: string;
  captioner?: Captioner;
  featureCache: BatchStats;
  captionCache: BatchStats;
  close(): Promise<void>;
}

export interface ToolChoice {
  /** Given: used as is (and not closed); null: no features; absent: built from spec.features. */
  extractor?: FeatureExtractor | null;
  /** Given: used as is; absent: built from spec.dataset.captions when enabled. */
  captioner?: Captioner;
}

export async function openTools(spec: MemeExperimentSpec, storage: string, given: ToolChoice): Promise<PrepareTools> {
  const owned: { close(): Promise<void> }[] = [];
  const modelCache = { cacheDir: join(storage, "cache", "models") };
  try {
    let extractor = given.extractor ?? undefined;
    if (given.extractor === undefined) {
      const { openExtractorForSpec, defaultModelDir } = await import("../features/open-for-spec.ts");
      extractor = (await openExtractorForSpec(spec.features, { ...modelCache, modelDir: defaultModelDir() })).extractor;
      owned.push(extractor);
    }
    let captioner = given.captioner;
    if (!captioner && spec.dataset.captions.enabled) {
      const { openCaptionerForSpec } = await import("../captions/open-for-spec.ts");
      const opened = await openCaptionerForSpec(spec.dataset.captions, modelCache);
      if (opened) (captioner = opened.captioner), owned.push(opened.captioner);
    }
    const featureCache = { hits: 0, misses: 0 };
    const captionCache = { hits: 0, misses: 0 };
    return {
      ...(extractor ? { extractor: cachedExtractor(extractor, new FeatureCache(join(storage, "cache", "features")), featureCache) } : {}),
      ...(extractor ? {} : { noFeatures: "not requested (no extractor)" }),
      ...(captioner ? { captioner: cachedCaptioner(captioner, await CaptionCache.open(join(storage, "cache", "captions.ndjson")), captionCache) } : {}),
      featureCache,
      captionCache,
      close: () => closeAll(owned),
    };
  } catch (err) {
    await closeAll(owned);
    throw err;
  }
}

const sources = (images: DecodedImage[]): ImageSource[] => images.map((image) => ({ sha256: image.sha256, load: async () => image }));
const count = (stats: BatchStats, more: BatchStats) => {
  stats.hits += more.hits;
  stats.misses += more.misses;
};

/** The same extractor, answering from the feature cache when it can (its output carries realRegions). */
function cachedExtractor(extractor: FeatureExtractor, cache: FeatureCache, stats: BatchStats): FeatureExtractor {
  return {
    name: extractor.name,
    dim: extractor.dim,
    fingerprint: extractor.fingerprint,
    async extract(images) {
      const result = await extractWithCache(extractor, cache, sources(images), Math.max(1, images.length));
      count(stats, result);
      return result.features;
    },
    close: () => extractor.close(),
  };
}

function cachedCaptioner(captioner: Captioner, cache: CaptionCache, stats: BatchStats): Captioner {
  return {
    fingerprint: captioner.fingerprint,
    async caption(images) {
      const result = await captionWithCache({ close: async () => {}, ...captioner }, cache, sources(images), Math.max(1, images.length));
      count(stats, result);
      return result.captions;
    },
  };
}

async function closeAll(owned: { close(): Promise<void> }[]): Promise<void> {
  for (const tool of owned.reverse()) await tool.close();
}
