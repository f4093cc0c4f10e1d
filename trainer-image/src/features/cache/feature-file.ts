// The feature cache's file format, version 1. All little-endian:
//   0  "MMFC"   magic
//   4  u32      version (1)
//   8  u32      R regions
//  12  u32      D feature dimension
//  16  u32      real regions (detections; the rest are padding)
//  20  u32      CRC-32 of the payload
//  24  8 bytes  zero
//  32  f32[R*D] features, then f32[R*5] boxes
// A reader accepts a file only if the size, header and CRC all agree: a torn or damaged file is never returned.
import { crc32 } from "node:zlib";
import { endianness } from "node:os";
import type { CountedRegionFeatures } from "../region-count.ts";

const MAGIC = 0x43464d4d; // "MMFC" read as u32 LE
const VERSION = 1;
const HEADER = 32;
const MAX_REGIONS = 4096;
const MAX_DIM = 65536;

if (endianness() !== "LE") throw new Error("the feature cache format is little-endian; this host is not");

export function encodeFeatures(value: CountedRegionFeatures): Buffer {
  const { regions, dim, features, boxes, realRegions } = value;
  if (features.length !== regions * dim || boxes.length !== regions * 5) {
    throw new Error(`features [${features.length}] / boxes [${boxes.length}] do not match R=${regions}, D=${dim}`);
  }
  const file = Buffer.alloc(HEADER + 4 * (features.length + boxes.length));
  const payload = new Float32Array(file.buffer, file.byteOffset + HEADER, features.length + boxes.length);
  payload.set(features);
  payload.set(boxes, features.length);
  const header = new DataView(file.buffer, file.byteOffset, HEADER);
  header.setUint32(0, MAGIC, true);
  header.setUint32(4, VERSION, true);
  header.setUint32(8, regions, true);
  header.setUint32(12, dim, true);
  header.setUint32(16, realRegions, true);
  header.setUint32(20, crc32(file.subarray(HEADER)), true);
  return file;
}

/** The features in `file`, or the reason it is not a valid cache file. */
export function decodeFeatures(file: Buffer): CountedRegionFeatures | { invalid: string } {
  if (file.length < HEADER) return { invalid: `${file.length} bytes is shorter than the header` };
  const header = new DataView(file.buffer, file.byteOffset, HEADER);
  if (header.getUint32(0, true) !== MAGIC) return { invalid: "bad magic" };
  if (header.getUint32(4, true) !== VERSION) return { invalid: `version ${header.getUint32(4, true)}` };
  const regions = header.getUint32(8, true);
  const dim = header.getUint32(12, true);
  const realRegions = header.getUint32(16, true);
  if (regions > MAX_REGIONS || dim > MAX_DIM || realRegions > regions) return { invalid: "implausible header" };
  const expected = HEADER + 4 * regions * (dim + 5);
  if (file.length !== expected) return { invalid: `${file.length} bytes, expected ${expected}` };
  if (crc32(file.subarray(HEADER)) !== header.getUint32(20, true)) return { invalid: "checksum mismatch" };
  // Copy out: views into a pooled or shared buffer must not outlive it, and Float32Array needs 4-byte alignment.
  const payload = new Float32Array(file.buffer.slice(file.byteOffset + HEADER, file.byteOffset + file.length));
  return {
    regions,
    dim,
    realRegions,
    features: payload.subarray(0, regions * dim),
    boxes: payload.subarray(regions * dim),
  };
}
