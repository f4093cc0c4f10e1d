// The contract every visual feature extractor meets. One file per extractor under features/extractors/,
// registered by name in features/registry.ts: adding one touches that file and one line of the registry.

/** An image decoded to 8-bit RGB, row-major HWC, with its original size (boxes are normalised by it). */
export interface DecodedImage {
  /** Stable identity of the source bytes (sha256 hex), used by the feature cache. */
  sha256: string;
  width: number;
  height: number;
  /** RGB bytes, length width*height*3. */
  rgb: Uint8Array;
}

/** What an extractor returns for one image. R = regions, D = feature dimension. */
export interface RegionFeatures {
  regions: number;
  dim: number;
  /** [R, D] row-major. */
  features: Float32Array;
  /** [R, 5]: x1/W, y1/H, x2/W, y2/H, (w*h)/(W*H). */
  boxes: Float32Array;
}

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
