// Resize a decoded image to the size a model takes: with sharp (libvips, off the JS thread), or with Pillow's exact
// arithmetic (pil-resize.ts, on worker threads) for models whose reference preprocessing is torchvision on PIL images.
import sharp from "sharp";
import type { DecodedImage } from "../extractor.ts";
import type { PilFilter } from "./pil-resize.ts";
import { pilResize } from "./resize-workers.ts";

type PilKernel = `pil-${PilFilter}`;
/** sharp's kernels, or `pil-*`: byte-identical to PIL's Image.resize with that filter. */
export type ResizeKernel = "nearest" | "linear" | "cubic" | "lanczos3" | PilKernel;

const isPil = (kernel: ResizeKernel): kernel is PilKernel => kernel.startsWith("pil-");
const pilFilterOf = (kernel: PilKernel) => kernel.slice(4) as PilFilter;

export interface Resized {
  /** RGB bytes, size*size*3. */
  rgb: Uint8Array;
  size: number;
  /** Width and height of the image inside the square; the rest (right and bottom) is black padding. */
  contentWidth: number;
  contentHeight: number;
}

const checkDecoded = (image: DecodedImage) => {
  if (image.rgb.length !== image.width * image.height * 3) {
    throw new Error(`image ${image.sha256}: ${image.rgb.length} bytes is not ${image.width}x${image.height} RGB`);
  }
};

const fromDecoded = (image: DecodedImage) => {
  checkDecoded(image);
  return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } });
};

/** Squash to size x size (grid models: every cell of the square maps to the same cell of the image). */
export async function resizeSquare(image: DecodedImage, size: number, kernel: ResizeKernel): Promise<Resized> {
  if (isPil(kernel)) {
    checkDecoded(image);
    const rgb = await pilResize(image.rgb, image.width, image.height, size, size, pilFilterOf(kernel));
    return { rgb, size, contentWidth: size, contentHeight: size };
  }
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
  if (isPil(kernel)) {
    checkDecoded(image);
    const content = await pilResize(image.rgb, image.width, image.height, contentWidth, contentHeight, pilFilterOf(kernel));
    const rgb = new Uint8Array(size * size * 3);
    for (let y = 0; y < contentHeight; y++) rgb.set(content.subarray(y * contentWidth * 3, (y + 1) * contentWidth * 3), y * size * 3);
    return { rgb, size, contentWidth, contentHeight };
  }
  const { data } = await fromDecoded(image)
    .resize(contentWidth, contentHeight, { fit: "fill", kernel })
    .extend({ right: size - contentWidth, bottom: size - contentHeight, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), size, contentWidth, contentHeight };
}
