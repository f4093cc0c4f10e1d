// Resize a decoded image with sharp (libvips, off the JS thread) to the size a model takes.
import sharp from "sharp";
import type { DecodedImage } from "../extractor.ts";

export type ResizeKernel = "nearest" | "linear" | "cubic" | "lanczos3";

export interface Resized {
  /** RGB bytes, size*size*3. */
  rgb: Uint8Array;
  size: number;
  /** Width and height of the image inside the square; the rest (right and bottom) is black padding. */
  contentWidth: number;
  contentHeight: number;
}

const fromDecoded = (image: DecodedImage) => {
  if (image.rgb.length !== image.width * image.height * 3) {
    throw new Error(`image ${image.sha256}: ${image.rgb.length} bytes is not ${image.width}x${image.height} RGB`);
  }
  return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } });
};

/** Squash to size x size (grid models: every cell of the square maps to the same cell of the image). */
export async function resizeSquare(image: DecodedImage, size: number, kernel: ResizeKernel): Promise<Resized> {
  const { data } = await fromDecoded(image)
    .resize(size, size, { fit: "fill", kernel })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), size, contentWidth: size, contentHeight: size };
}

/** Keep the aspect ratio: longest side = size, padded right and bottom (detectors: shapes stay undistorted). */
export async function resizeLetterbox(image: DecodedImage, size: number, kernel: ResizeKernel): Promise<Resized> {
  const scale = size / Math.max(image.width, image.height);
  const contentWidth = Math.max(1, Math.min(size, Math.round(image.width * scale)));
  const contentHeight = Math.max(1, Math.min(size, Math.round(image.height * scale)));
  const { data } = await fromDecoded(image)
    .resize(contentWidth, contentHeight, { fit: "fill", kernel })
    .extend({ right: size - contentWidth, bottom: size - contentHeight, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), size, contentWidth, contentHeight };
}
