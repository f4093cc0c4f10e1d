// A weights file or directory -> its tensors, the format told by the content, not the name:
//   a directory with checkpoint.json   memeops' own checkpoint (model.safetensors by parameter name)
//   "PK\3\4"                           torch.save zip
//   pickle PROTO 2 + torch's magic     torch.save legacy
//   u64 header length + "{"            safetensors
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { decodeSafetensors } from "../checkpoint/safetensors.ts";
import { readManifest, resolveCheckpoint } from "../training/checkpoint.ts";
import { isLegacyTorch, isZip, readTorchLegacy, readTorchZip } from "./torch-file.ts";
import { numel, type CheckpointFile, type SourceTensor } from "./tensors.ts";

/** One tensor of a safetensors file as a file of its own, for the project's decoder (F16, BF16). */
function singleTensorFile(name: string, dtype: string, shape: number[], bytes: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify({ [name]: { dtype, shape, data_offsets: [0, bytes.length] } }), "utf8");
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, bytes]);
}

/**
 * safetensors: checks every tensor lies inside the file (a truncated download is named as such) and decodes each
 * tensor when read: F32 by copying its bytes (the bulk of a checkpoint, ~10x faster than value by value), F16 and
 * BF16 with the project's decoder (training/safetensors.ts). Integer tensors (a position_ids buffer) are listed only.
 */
export function readSafetensorsFile(buf: Buffer, path: string): CheckpointFile {
  if (buf.length < 8) throw new Error(`${path}: too short for a safetensors file: the file is truncated`);
  const headerLength = Number(buf.readBigUInt64LE(0));
  if (8 + headerLength > buf.length) throw new Error(`${path}: the safetensors header runs past the end of the file: the file is truncated`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLength).toString("utf8"));
  } catch (e) {
    throw new Error(`${path}: unreadable safetensors header (${(e as Error).message})`);
  }
  const data = buf.subarray(8 + headerLength);
  const tensors = new Map<string, SourceTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: [begin, end] = [NaN, NaN] } = entry;
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin > end || end > data.length) {
      throw new Error(`${path}: tensor ${name} spans data bytes ${begin}..${end}, the file has ${data.length}: the file is truncated`);
    }
    const bytes = data.subarray(begin, end);
    const read = (): Float32Array => {
      if (dtype === "F32") {
        if (bytes.length !== numel(shape) * 4) throw new Error(`${path}: ${name} has ${bytes.length} bytes for ${numel(shape)} F32 values`);
        const out = new Float32Array(numel(shape));
        new Uint8Array(out.buffer).set(bytes);
        return out;
      }
      if (dtype === "F16" || dtype === "BF16") return decodeSafetensors(singleTensorFile(name, dtype, shape, bytes), path).tensors.get(name)!.data;
      throw new Error(`${path}: tensor ${name} has dtype ${dtype}; only float tensors are weights`);
    };
    tensors.set(name, { name, dtype, shape, read });
  }
  return { path, format: "safetensors", tensors, notes: [] };
}

/** A plausible header length (safetensors caps it at 100 MB) followed by "{" (a cut header is then "truncated"). */
export const isSafetensors = (buf: Buffer) =>
  buf.length >= 9 && buf.readBigUInt64LE(0) < 100_000_000n && buf[8] === 0x7b;

/** A memeops checkpoint directory (an epoch directory, or a root whose best.json names one). */
export async function readMemeopsCheckpoint(path: string): Promise<CheckpointFile> {
  const dir = await resolveCheckpoint(path, "best");
  const manifest = await readManifest(dir);
  const file = join(dir, manifest.files.model);
  const buf = await readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`checkpoint ${dir} is incomplete: cannot read ${file} (${e.code ?? e.message})`);
  });
  const { tensors } = readSafetensorsFile(buf, file);
  return { path: dir, format: "memeops-checkpoint", tensors, notes: [], architecture: manifest.architecture };
}

export async function openCheckpoint(path: string): Promise<CheckpointFile> {
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`weights file ${path} does not exist (${e.code ?? e.message}): refusing to start from random weights`);
  });
  if (info.isDirectory()) return readMemeopsCheckpoint(path);
  const buf = await readFile(path);
  if (buf.length === 0) throw new Error(`${path}: the file is empty`);
  if (isZip(buf)) return readTorchZip(buf, path);
  if (isLegacyTorch(buf)) return readTorchLegacy(buf, path);
  if (isSafetensors(buf)) return readSafetensorsFile(buf, path);
  throw new Error(`${path}: not a PyTorch checkpoint (zip or legacy), a safetensors file or a memeops checkpoint directory`);
}
