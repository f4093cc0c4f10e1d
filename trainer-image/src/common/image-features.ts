// The two data types between images and models: a decoded image (what data/ decodes and features/ reads) and the
// region features of one image (what features/ extracts and data/ stores in the prepared files).

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
