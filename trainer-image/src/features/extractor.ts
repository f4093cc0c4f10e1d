// The contract every visual feature extractor meets. One file per extractor under features/extractors/,
// registered by name in features/registry.ts: adding one touches that file and one line of the registry.
// Its input and output types sit in common/, since data/ decodes the one and stores the other.
import type { DecodedImage, RegionFeatures } from "../common/image-features.ts";

export type { DecodedImage, RegionFeatures };

/** Settings an extractor is built from: plain data taken from spec.features. */
export interface ExtractorOptions {
  regions: number;
  /** Local path of the model file, already downloaded and hash-checked (undefined for weight-free extractors). */
  modelPath?: string;
  scoreThreshold?: number;
  nmsThreshold?: number;
}

export interface FeatureExtractor {
  readonly name: string;
  /** Output feature dimension D. */
  readonly dim: number;
  /**
   * Everything that changes the output besides the image: name, model file hash, regions, thresholds.
   * Part of the cache key.
   */
  readonly fingerprint: string;
  /** Extract a batch. Throws (never returns zeros) when an image cannot be processed. */
  extract(images: DecodedImage[]): Promise<RegionFeatures[]>;
  close(): Promise<void>;
}

export type ExtractorFactory = (options: ExtractorOptions) => Promise<FeatureExtractor>;
