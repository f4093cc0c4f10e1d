// Images -> one normalised NCHW float batch, the input every image model here takes.
import type { DecodedImage } from "../extractor.ts";
import type { Resized, ResizeKernel } from "./resize.ts";

export interface Normalisation {
  /** Per-channel mean and std applied after scaling bytes to [0, 1]. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

export const IMAGENET: Normalisation = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
export const CLIP: Normalisation = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] };
/** (x - 127) / 128 on 8-bit values: TensorFlow's EfficientNet-Lite (and Inception-style) models. */
export const INCEPTION: Normalisation = { mean: [127 / 255, 127 / 255, 127 / 255], std: [128 / 255, 128 / 255, 128 / 255] };
/** Plain [0, 1] scaling (detector exports normalise inside the graph). */
export const UNIT: Normalisation = { mean: [0, 0, 0], std: [1, 1, 1] };

export interface ImageBatch {
  /** [N, 3, size, size]. */
  data: Float32Array;
  resized: Resized[];
}

type Resize = (image: DecodedImage, size: number, kernel: ResizeKernel) => Promise<Resized>;

/** Resize every image (concurrently, on sharp's threads) and pack them into one batch. */
export async function imageBatch(images: DecodedImage[], size: number, resize: Resize, kernel: ResizeKernel, norm: Normalisation): Promise<ImageBatch> {
  const resized = await Promise.all(images.map((image) => resize(image, size, kernel)));
  const data = new Float32Array(images.length * 3 * size * size);
  resized.forEach((r, slot) => writeChw(r.rgb, size, norm, data, slot));
  return { data, resized };
}

/** RGB bytes (HWC) -> normalised planar float (CHW) in one slot of a batch. */
export function writeChw(rgb: Uint8Array, size: number, norm: Normalisation, batch: Float32Array, slot: number): void {
  const plane = size * size;
  if (rgb.length !== plane * 3) throw new Error(`expected ${size}x${size} RGB, got ${rgb.length} bytes`);
  const base = slot * 3 * plane;
  for (let c = 0; c < 3; c++) {
    const scale = 1 / (255 * norm.std[c]!);
    const shift = norm.mean[c]! / norm.std[c]!;
    const out = base + c * plane;
    for (let p = 0; p < plane; p++) batch[out + p] = rgb[p * 3 + c]! * scale - shift;
  }
}
