// Any image sharp reads, to the DecodedImage every feature extractor takes: 8-bit sRGB, 3 channels, row-major HWC,
// with the sha256 of the source bytes (the feature cache's key). What had to be changed to get there is returned
// as notes for the report (CMYK, grayscale, 16-bit, alpha, animation, resizing, a format its extension denies).
// Anything sharp cannot decode completely (a truncated file) throws: no caller ever gets a blank image instead.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import sharp, { type Metadata, type OutputInfo } from "sharp";
import type { DecodedImage } from "../common/image-features.ts";

export interface DecodeOptions {
  /** Downscale (keeping the aspect ratio) so neither side exceeds this; extractors resize to far less anyway, and
   * a 4000x3000 photo would cost 36 MB per image in a batch. Boxes are normalised, so nothing else changes. */
  maxSide?: number;
}

export interface DecodeResult {
  image: DecodedImage;
  /** sharp's name for the source format: png, jpeg, gif, webp, tiff, ... */
  format: string;
  originalWidth: number;
  originalHeight: number;
  notes: string[];
}

const EXTENSIONS: Record<string, string> = { ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif", ".webp": "webp", ".tif": "tiff", ".tiff": "tiff" };

export async function decodeImageFile(path: string, options: DecodeOptions = {}): Promise<DecodeResult> {
  const result = await decodeImage(await readFile(path), options);
  const claimed = EXTENSIONS[extname(path).toLowerCase()];
  if (claimed && claimed !== result.format) result.notes.unshift(`${result.format} data in a ${extname(path)} file`);
  return result;
}

export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodeResult> {
  if (bytes.length === 0) throw new Error("empty file");
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  // failOn "warning" (sharp's default, stated here because it matters): a truncated PNG or JPEG is an error.
  const input = () => sharp(bytes, { failOn: "warning", pages: 1 });
  const meta = await input().metadata();
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!meta.format || !width || !height) throw new Error("not an image sharp can read");
  let pipeline = input().autoOrient();
  const max = options.maxSide;
  if (max && (width > max || height > max)) pipeline = pipeline.resize({ width: max, height: max, fit: "inside" });
  const { data, info } = await pipeline.removeAlpha().toColourspace("srgb").raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
    throw new Error(`decoded to ${info.channels} channels, ${data.length} bytes: expected RGB`);
  }
  return {
    image: { sha256, width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) },
    format: meta.format,
    originalWidth: width,
    originalHeight: height,
    notes: notesFor(meta, width, height, info),
  };
}

function notesFor(meta: Metadata, width: number, height: number, out: OutputInfo): string[] {
  const notes: string[] = [];
  if ((meta.pages ?? 1) > 1) notes.push(`animated ${meta.format}, ${meta.pages} frames: first frame used`);
  if (meta.space === "cmyk") notes.push("CMYK converted to sRGB");
  if (meta.space === "b-w" || meta.space === "grey16" || (meta.channels ?? 3) <= 2) notes.push("grayscale converted to RGB");
  if (meta.depth && !["uchar", "char"].includes(meta.depth)) notes.push(`${meta.depth === "ushort" ? "16" : meta.depth}-bit samples reduced to 8-bit`);
  if (meta.hasAlpha) notes.push("alpha channel removed");
  if ((meta.orientation ?? 1) > 1) notes.push(`EXIF orientation ${meta.orientation} applied`);
  if (out.width !== width || out.height !== height) notes.push(`resized from ${width}x${height} to ${out.width}x${out.height}`);
  return notes;
}
