// The tensors of a checkpoint file, whatever its format: name, dtype, shape, and a read() that decodes the values
// to float32 only when asked (a 440 MB BERT is listed by `memeops weights inspect` without decoding it).
import type { Architecture } from "../models/model.ts";

export interface SourceTensor {
  name: string;
  /** PyTorch's storage name without "Storage" (Float, Half, BFloat16, Long, ...) or safetensors' (F32, I64, ...) */
  dtype: string;
  shape: number[];
  read(): Float32Array;
}

export type CheckpointFormat = "torch-zip" | "torch-legacy" | "safetensors" | "memeops-checkpoint";

export interface CheckpointFile {
  path: string;
  format: CheckpointFormat;
  tensors: Map<string, SourceTensor>;
  /** things about the file worth telling (a state dict found under "state_dict", entries that are not tensors) */
  notes: string[];
  /** a memeops checkpoint's recorded architecture: only that one can take its weights */
  architecture?: Architecture;
}

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

interface DtypeInfo {
  size: number;
  get(view: DataView, byteOffset: number): number;
}

const bits = new DataView(new ArrayBuffer(4));
const fromBits = (u: number) => (bits.setUint32(0, u >>> 0), bits.getFloat32(0));

/** IEEE half -> float32 by moving its bit fields (subnormal halves are normal floats: computed directly). */
function half(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return (h & 0x8000 ? -1 : 1) * frac * 2 ** -24;
  return fromBits(((h & 0x8000) << 16) | (exp === 31 ? 0x7f800000 : (exp + 112) << 23) | (frac << 13));
}

/** PyTorch storage types (torch.FloatStorage -> "Float"), little-endian as torch.save writes them on x86/arm. */
export const TORCH_DTYPES: Record<string, DtypeInfo> = {
  Float: { size: 4, get: (v, o) => v.getFloat32(o, true) },
  Double: { size: 8, get: (v, o) => v.getFloat64(o, true) },
  Half: { size: 2, get: (v, o) => half(v.getUint16(o, true)) },
  BFloat16: { size: 2, get: (v, o) => fromBits(v.getUint16(o, true) << 16) },
  Long: { size: 8, get: (v, o) => Number(v.getBigInt64(o, true)) },
  Int: { size: 4, get: (v, o) => v.getInt32(o, true) },
  Short: { size: 2, get: (v, o) => v.getInt16(o, true) },
  Char: { size: 1, get: (v, o) => v.getInt8(o) },
  Byte: { size: 1, get: (v, o) => v.getUint8(o) },
  Bool: { size: 1, get: (v, o) => v.getUint8(o) },
};

/** A storage: its raw bytes (possibly shorter than claimed, in a truncated file: checked on read). */
export interface StorageRef {
  key: string;
  dtype: string;
  numel: number;
  bytes(): Uint8Array;
}

/** What torch._utils._rebuild_tensor_v2 describes: a strided view into a storage. */
export interface TensorRef {
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

export function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === "object" && v !== null && "storage" in v && "stride" in v && "shape" in v;
}

/** Decodes a strided view to a dense row-major Float32Array, checking it stays inside its storage. */
export function readStrided(ref: TensorRef, source: string, name: string): Float32Array {
  const info = TORCH_DTYPES[ref.storage.dtype];
  if (!info) throw new Error(`${source}: tensor ${name} has dtype ${ref.storage.dtype}, which memeops does not read`);
  const raw = ref.storage.bytes();
  const count = numel(ref.shape);
  const out = new Float32Array(count);
  if (count === 0) return out;
  const last = ref.offset + ref.shape.reduce((acc, d, i) => acc + (d - 1) * ref.stride[i]!, 0);
  if (last >= ref.storage.numel) {
    throw new Error(`${source}: tensor ${name} [${ref.shape}] reaches element ${last} of a storage of ${ref.storage.numel}`);
  }
  if ((last + 1) * info.size > raw.length) {
    throw new Error(`${source}: tensor ${name} needs ${(last + 1) * info.size} bytes of storage ${ref.storage.key}, ` +
      `the file has ${raw.length}: the file is truncated`);
  }
  const contiguous = ref.stride.every((s, i) => ref.shape[i] === 1 || s === numel(ref.shape.slice(i + 1)));
  if (contiguous && ref.storage.dtype === "Float") {
    new Uint8Array(out.buffer).set(raw.subarray(ref.offset * 4, (ref.offset + count) * 4));
    return out;
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const rank = ref.shape.length;
  const index = new Array<number>(rank).fill(0);
  let at = ref.offset;
  for (let i = 0; i < count; i++) {
    out[i] = info.get(view, at * info.size);
    // odometer over the shape, moving `at` by the strides
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      at += ref.stride[d]!;
      if (index[d]! < ref.shape[d]!) break;
      at -= ref.stride[d]! * ref.shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}
