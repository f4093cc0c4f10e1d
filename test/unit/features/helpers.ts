// Test helpers: synthetic images already decoded (the extractors' input), fixture paths.
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { ImageSource } from "../../../trainer-image/src/features/batch-pipeline.ts";
import type { DecodedImage } from "../../../trainer-image/src/features/extractor.ts";
import { FIXTURE_DIR } from "../../fixtures/onnx/generate.ts";

export const fixture = (name: string) => join(FIXTURE_DIR, name);

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** An RGB image from a pixel function; its "file hash" is the hash of its size and pixels. */
export function makeImage(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): DecodedImage {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgb.set(pixel(x, y), (y * width + x) * 3);
  return { sha256: sha256(Buffer.concat([Buffer.from(`${width}x${height}`), rgb])), width, height, rgb };
}

/** A few distinct, deterministic test images of different sizes. */
export function testImages(count: number): DecodedImage[] {
  return Array.from({ length: count }, (_, i) =>
    makeImage(96 + 16 * i, 80 + 8 * (i % 3), (x, y) => [(x * (i + 3)) % 256, (y * 5 + i * 40) % 256, ((x ^ y) * (i + 1)) % 256]),
  );
}

export const sourceOf = (image: DecodedImage): ImageSource => ({ sha256: image.sha256, load: async () => image });

export const bytesOf = (f: { features: Float32Array; boxes: Float32Array }) =>
  Buffer.concat([Buffer.from(f.features.buffer, f.features.byteOffset, f.features.byteLength), Buffer.from(f.boxes.buffer, f.boxes.byteOffset, f.boxes.byteLength)]);
