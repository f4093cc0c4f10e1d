// checkpoint.json, the manifest of every memeops checkpoint directory (beside model.safetensors): written by training
// for each epoch, with the optimizer and training state (training/checkpoint.ts), and by `memeops weights convert`,
// weights only (weights/save.ts); read by resume, evaluate and the weights importer through readManifest.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { EpochMetrics } from "../../../api/v1alpha1/status.ts";
import type { Architecture, PoolerActivation } from "../models/model.ts";
import { poolerActivationOf, withModalities } from "../models/layers/vilbert-backbone.ts";
import { writeFileAtomic } from "../common/atomic-write.ts";

export const CHECKPOINT_FORMAT = "memeops-checkpoint";
export const CHECKPOINT_FORMAT_VERSION = 1;
export const MANIFEST_FILE = "checkpoint.json";

/** What every manifest holds; training's add the optimizer and training state, converted ones their source. */
export interface ManifestBase {
  format: typeof CHECKPOINT_FORMAT;
  formatVersion: number;
  architecture: Architecture;
  epoch: number;
  step: number;
  history: EpochMetrics[];
  files: { model: string; optimizer?: string };
}

// JSON has no NaN (AUROC of a one-class split is NaN): numbers that are not finite travel as strings.
const stringifyNumbers = (_: string, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v);
const parseNumbers = (_: string, v: unknown) => (v === "NaN" || v === "Infinity" || v === "-Infinity" ? Number(v) : v);

export async function writeManifest(dir: string, manifest: ManifestBase): Promise<void> {
  await writeFileAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, stringifyNumbers, 2)}\n`);
}

/** The manifest in `dir`, its format and version checked and its architecture's config read as today's. */
export async function readManifest<M extends ManifestBase = ManifestBase>(dir: string): Promise<M> {
  const file = join(dir, MANIFEST_FILE);
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new Error(`no checkpoint at ${dir}: cannot read ${file} (${e.code ?? e.message})`);
  });
  const manifest = JSON.parse(text, parseNumbers) as M;
  if (manifest.format !== CHECKPOINT_FORMAT) throw new Error(`${file} is not a memeops checkpoint (format ${String(manifest.format)})`);
  if (manifest.formatVersion !== CHECKPOINT_FORMAT_VERSION) {
    throw new Error(`${file} has format version ${manifest.formatVersion}; this trainer reads version ${CHECKPOINT_FORMAT_VERSION}`);
  }
  if (manifest.architecture) manifest.architecture.config = withLegacyDefaults(manifest.architecture.config);
  return manifest;
}

/**
 * A model config as today's trainer reads it: settings added since a checkpoint was written take the value that
 * checkpoint computed with (poolers: tanh, models/layers/vilbert-backbone.ts's poolerActivationOf; both modalities). The one place
 * such defaults are applied to recorded configs, so a resumed run and an imported checkpoint compare alike.
 */
export function withLegacyDefaults<C>(config: C): C {
  if (typeof config !== "object" || config === null) return config;
  const { poolerActivation: _, ...rest } = config as Record<string, unknown>;
  // modalities: both streams, as every model had before the setting
  return withModalities({ ...rest, poolerActivation: poolerActivationOf(config as { poolerActivation?: PoolerActivation }) }) as C;
}
