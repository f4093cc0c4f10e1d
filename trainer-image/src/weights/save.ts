// Writes a model's weights as a memeops checkpoint directory (checkpoint.json + model.safetensors), the format
// training writes, so `memeops weights convert` output loads fast (no pickle, no renaming) wherever a checkpoint
// is accepted. It is weights-only: no optimizer state and no history; `converted` says where the weights came from.
import { join } from "node:path";
import type { Model } from "../models/model.ts";
import { CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, writeManifest, type ManifestBase } from "../checkpoint/manifest.ts";
import { encodeSafetensors, type NamedArray } from "../checkpoint/safetensors.ts";
import { writeDirAtomic, writeFileAtomic } from "../common/atomic-write.ts";
import { count, notLoaded, type LoadReport } from "./load-plan.ts";

export interface ConvertedFrom {
  file: string;
  sha256: string;
  layout: string;
}

/** The manifest of a converted checkpoint: weights only, and where they came from. */
export interface ConvertedManifest extends ManifestBase {
  converted: ConvertedFrom & { loaded: number; notLoaded: { name: string; status: string; reason?: string | undefined }[]; poolers: LoadReport["poolers"]; warnings: LoadReport["warnings"] };
}

export async function saveWeightsCheckpoint(dir: string, model: Model, from: ConvertedFrom, report: LoadReport): Promise<void> {
  const weights = new Map<string, NamedArray>();
  for (const [name, v] of model.params.variables) weights.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  const manifest: ConvertedManifest = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    architecture: model.architecture,
    epoch: 0,
    step: 0,
    history: [],
    files: { model: "model.safetensors" },
    converted: {
      ...from,
      loaded: count(report.targets, "loaded"),
      notLoaded: notLoaded(report).map((t) => ({ name: t.name, status: t.status, reason: t.reason })),
      poolers: report.poolers,
      warnings: report.warnings,
    },
  };
  await writeDirAtomic(dir, async (tmp) => {
    await writeFileAtomic(join(tmp, "model.safetensors"), encodeSafetensors(weights, { format: CHECKPOINT_FORMAT, converted_from: from.file }));
    await writeManifest(tmp, manifest);
  });
}
