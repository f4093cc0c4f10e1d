// A weights file or directory -> its tensors, the format told by the content, not the name:
//   a directory with checkpoint.json   memeops' own checkpoint (model.safetensors by parameter name)
//   "PK\3\4"                           torch.save zip
//   pickle PROTO 2 + torch's magic     torch.save legacy
//   u64 header length + "{"            safetensors
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensors } from "../checkpoint/safetensors.ts";
import { resolveCheckpoint } from "../training/checkpoint.ts";
import { readManifest } from "../checkpoint/manifest.ts";
import { isLegacyTorch, isZip, readTorchLegacy, readTorchZip } from "./torch-file.ts";
import type { CheckpointFile, SourceTensor } from "./tensors.ts";

/** A safetensors file's tensors, through the one reader (checkpoint/safetensors.ts). */
export function readSafetensorsFile(buf: Buffer, path: string): CheckpointFile {
  const tensors = new Map<string, SourceTensor>();
  for (const [name, e] of readSafetensors(buf, path).entries) tensors.set(name, { name, dtype: e.dtype, shape: e.shape, read: e.read });
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
