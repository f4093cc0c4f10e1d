// Checkpoints: one directory per epoch, plus two pointer files.
//   <root>/epoch-0007/checkpoint.json       manifest (checkpoint/manifest.ts): format version, architecture, epoch, step, RNG state,
//                                           metric history, early-stopping state, optimizer settings
//   <root>/epoch-0007/model.safetensors     weights, by parameter name
//   <root>/epoch-0007/optimizer.safetensors AdamW moments, as "m/<name>" and "v/<name>"
//   <root>/latest.json, <root>/best.json    {"epoch": 7, "dir": "epoch-0007"}
// Every file and epoch directory is written atomically (temp + rename), and the pointers move only after the
// directory is complete, so a run killed at any point resumes from a whole checkpoint. Epoch directories that
// neither pointer names are deleted.
import * as tf from "@tensorflow/tfjs";
import { readFile, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeDirAtomic, writeFileAtomic } from "../common/atomic-write.ts";
import { decodeSafetensors, encodeSafetensors, type NamedArray } from "../checkpoint/safetensors.ts";
import type { AdamW, AdamWSettings } from "./adamw.ts";
import type { EarlyStoppingState } from "./early-stopping.ts";
import type { Architecture, FrozenLayers, Model } from "../models/model.ts";
import { createModel } from "../models/registry.ts";
import type { EpochMetrics } from "../../../api/v1alpha1/status.ts";
import { CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, MANIFEST_FILE, readManifest, writeManifest, type ManifestBase } from "../checkpoint/manifest.ts";

export interface TrainingState {
  epoch: number;
  /** optimizer steps taken */
  step: number;
  /** counter-based RNG: every draw derives from (seed, step, ...), so this is the whole RNG state */
  rng: { seed: number; step: number };
  history: EpochMetrics[];
  earlyStopping: EarlyStoppingState;
}

export interface CheckpointManifest extends ManifestBase, TrainingState {
  /** training.freeze as applied: these parts kept their initial weights (absent in checkpoints written before it) */
  frozen?: FrozenLayers;
  optimizer: { name: "adamw"; settings: AdamWSettings; step: number };
  files: { model: string; optimizer: string };
}

interface Pointer {
  epoch: number;
  dir: string;
}

async function toNamedArrays(entries: Iterable<[string, tf.Tensor]>, prefix = ""): Promise<Map<string, NamedArray>> {
  const out = new Map<string, NamedArray>();
  for (const [name, t] of entries) out.set(prefix + name, { shape: t.shape, data: (await t.data()) as Float32Array });
  return out;
}

const epochDirName = (epoch: number) => `epoch-${String(epoch).padStart(4, "0")}`;

/** Writes the checkpoint of a finished epoch and moves `latest` (and `best`, if this epoch is the best) to it. */
export async function saveCheckpoint(
  root: string, model: Model, optimizer: AdamW, state: TrainingState, isBest: boolean,
): Promise<string> {
  const dir = epochDirName(state.epoch);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    architecture: model.architecture,
    frozen: model.frozen,
    ...state,
    optimizer: { name: "adamw", settings: optimizer.settings, step: optimizer.step },
    files: { model: "model.safetensors", optimizer: "optimizer.safetensors" },
  };
  const weights = await toNamedArrays([...model.params.variables]);
  const moments = new Map([...(await toNamedArrays(optimizer.m, "m/")), ...(await toNamedArrays(optimizer.v, "v/"))]);
  await writeDirAtomic(join(root, dir), async (tmp) => {
    await writeFileAtomic(join(tmp, manifest.files.model), encodeSafetensors(weights, { format: CHECKPOINT_FORMAT }));
    await writeFileAtomic(join(tmp, manifest.files.optimizer), encodeSafetensors(moments, { format: CHECKPOINT_FORMAT }));
    await writeManifest(tmp, manifest);
  });
  const pointer: Pointer = { epoch: state.epoch, dir };
  if (isBest) await writeFileAtomic(join(root, "best.json"), JSON.stringify(pointer));
  await writeFileAtomic(join(root, "latest.json"), JSON.stringify(pointer));
  await pruneEpochDirs(root);
  return join(root, dir);
}

async function pruneEpochDirs(root: string): Promise<void> {
  const keep = new Set<string>();
  for (const which of ["latest", "best"] as const) {
    const p = await readPointer(root, which);
    if (p) keep.add(p.dir);
  }
  for (const name of await readdir(root)) {
    if (/^epoch-\d+$/.test(name) && !keep.has(name)) await rm(join(root, name), { recursive: true, force: true });
  }
}

async function readPointer(root: string, which: "latest" | "best"): Promise<Pointer | null> {
  try {
    return JSON.parse(await readFile(join(root, `${which}.json`), "utf8")) as Pointer;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/**
 * The epoch directory to read: `path` itself if it holds a checkpoint.json, else the one that `<path>/<which>.json`
 * names. Throws an error naming the path when there is none.
 */
export async function resolveCheckpoint(path: string, which: "latest" | "best" = "latest"): Promise<string> {
  const isDir = await stat(path).then((s) => s.isDirectory(), () => null);
  if (isDir === null) throw new Error(`no checkpoint at ${path}: the path does not exist`);
  if (!isDir) throw new Error(`no checkpoint at ${path}: not a directory`);
  if (await stat(join(path, MANIFEST_FILE)).then(() => true, () => false)) return path;
  const pointer = await readPointer(path, which);
  if (!pointer) throw new Error(`no checkpoint at ${path}: neither checkpoint.json nor ${which}.json is there`);
  return join(path, pointer.dir);
}

/** True when `root` holds a checkpoint to resume from. */
export async function hasCheckpoint(root: string): Promise<boolean> {
  return (await readPointer(root, "latest").catch(() => null)) !== null;
}

/** The manifest of a training checkpoint: its optimizer and training state besides the weights' architecture. */
export const readTrainingManifest = (dir: string) => readManifest<CheckpointManifest>(dir);

/** Differences between two JSON-like values, as "path: a != b" lines. */
function differences(a: unknown, b: unknown, path: string, out: string[]): string[] {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out);
  } else if (a !== b) {
    out.push(`${path}: checkpoint ${JSON.stringify(a)} != model ${JSON.stringify(b)}`);
  }
  return out;
}

function describe(a: Architecture): string {
  return `${a.name}/${a.size} (T=${a.dims.T}, R=${a.dims.R}, D=${a.dims.D})`;
}

/** Throws, listing every difference, unless the checkpoint was written for exactly this architecture. */
export function assertSameArchitecture(dir: string, saved: Architecture, model: Architecture): void {
  const diffs = differences(saved, model, "", []);
  if (diffs.length > 0) {
    throw new Error(
      `checkpoint ${dir} was written for ${describe(saved)}, not ${describe(model)}; mismatches:\n  ${diffs.join("\n  ")}`,
    );
  }
}

async function readTensors(dir: string, file: string): Promise<Map<string, NamedArray>> {
  const path = join(dir, file);
  const buf = await readFile(path).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`checkpoint ${dir} is incomplete: cannot read ${path} (${e.code ?? e.message})`);
  });
  return decodeSafetensors(buf, path).tensors;
}

/** Loads the weights of the checkpoint in `dir` into `model` (same architecture required). */
export async function loadModelWeights(model: Model, dir: string): Promise<CheckpointManifest> {
  const manifest = await readTrainingManifest(dir);
  assertSameArchitecture(dir, manifest.architecture, model.architecture);
  const tensors = await readTensors(dir, manifest.files.model);
  const problems: string[] = [];
  for (const [name, v] of model.params.variables) {
    const t = tensors.get(name);
    if (!t) problems.push(`missing ${name}`);
    else if (t.shape.join(",") !== v.shape.join(",")) problems.push(`${name}: shape [${t.shape}] != model [${v.shape}]`);
  }
  for (const name of tensors.keys()) if (!model.params.variables.has(name)) problems.push(`unexpected ${name}`);
  if (problems.length > 0) throw new Error(`checkpoint ${dir} does not fit the model:\n  ${problems.join("\n  ")}`);
  for (const [name, v] of model.params.variables) {
    const t = tensors.get(name)!;
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
  }
  return manifest;
}

/** Restores the optimizer's moments and step from the checkpoint in `dir`. */
export async function loadOptimizerState(optimizer: AdamW, dir: string, manifest: CheckpointManifest): Promise<void> {
  const tensors = await readTensors(dir, manifest.files.optimizer);
  const m = new Map<string, tf.Tensor>();
  const v = new Map<string, tf.Tensor>();
  for (const [key, t] of tensors) {
    const target = key.startsWith("m/") ? m : key.startsWith("v/") ? v : null;
    if (!target) throw new Error(`${dir}: unexpected optimizer tensor ${key}`);
    target.set(key.slice(2), tf.tensor(t.data, t.shape));
  }
  optimizer.load(manifest.optimizer.step, m, v);
  tf.dispose([...m.values(), ...v.values()]);
}

/** Builds the architecture a checkpoint records and loads its weights (evaluate / predict modes). */
export async function modelFromCheckpoint(path: string, which: "latest" | "best" = "best"): Promise<{ model: Model; manifest: CheckpointManifest; dir: string }> {
  const dir = await resolveCheckpoint(path, which);
  const manifest = await readTrainingManifest(dir);
  const a = manifest.architecture;
  const model = createModel(a.name, a.size, a.dims, { config: a.config });
  try {
    await loadModelWeights(model, dir);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, manifest, dir };
}
