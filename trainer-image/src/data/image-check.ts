// Whether an item's image can be used, and why not. Policy: an image must exist, decode completely with sharp,
// and be at least MIN_IMAGE_SIDE pixels on each side. A 1x1 image is a placeholder, not a picture (and a 4x4 grid
// of patches cannot be cut from it), so it is excluded; 16 px is also the smallest synthetic image the API allows.
// Large images are accepted and downscaled when decoded. Everything excluded says why; nothing becomes zeros.
import { decodeImageFile, type DecodeOptions, type DecodeResult } from "./decode.ts";

export const MIN_IMAGE_SIDE = 16;

/** The reason an item whose image the source lacks is dropped; `where` is the source's location of the image. */
export const missingImageReason = (where: string) => `image missing: ${where}`;

export type ImageCheck = { ok: true; decoded: DecodeResult } | { ok: false; reason: string };

/** `path` is the local file, or null when the source does not have the image at `where`. */
export async function checkImage(path: string | null, where: string, options: DecodeOptions = {}): Promise<ImageCheck> {
  if (path === null) return { ok: false, reason: missingImageReason(where) };
  let decoded: DecodeResult;
  try {
    decoded = await decodeImageFile(path, options);
  } catch (err) {
    return { ok: false, reason: `image does not decode: ${(err as Error).message}` };
  }
  const { originalWidth: w, originalHeight: h } = decoded;
  if (w < MIN_IMAGE_SIDE || h < MIN_IMAGE_SIDE) {
    return { ok: false, reason: `image too small: ${w}x${h} (at least ${MIN_IMAGE_SIDE} px per side)` };
  }
  return { ok: true, decoded };
}
