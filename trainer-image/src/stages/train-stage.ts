// The train stage: a fresh model (or the weights of spec.model.initialWeights) trained on the prepared train split,
// validated each epoch, checkpointed under WORKDIR/checkpoints. The best epoch's weights are in the model after it.
import { join } from "node:path";
import type { MemeExperimentSpec } from "../../../api/v1alpha1/spec.ts";
import { createModel } from "../models/registry.ts";
import { parameterCount, type Model } from "../models/model.ts";
import { train, type TrainEvent, type TrainResult } from "../training/loop.ts";
import type { Log } from "../data/log.ts";
import { loadPreparedSource, preparedDims, type PreparedSource } from "./prepared-source.ts";
import { loadInitialWeights, type InitialWeightsLoad } from "./initial-weights.ts";

export interface TrainStageOptions {
  /** WORKDIR: reads WORKDIR/prepared, writes WORKDIR/checkpoints */
  workDir: string;
  /** continue from WORKDIR/checkpoints when a checkpoint is there */
  resume?: boolean;
  log?: Log;
  onEvent?: (e: TrainEvent) => void;
  /** MEMEOPS_CACHE_DIR: frozen parts' outputs are kept in its frozen-outputs/ (default WORKDIR/cache/frozen-outputs) */
  env?: NodeJS.ProcessEnv;
}

export interface TrainStageResult {
  model: Model;
  result: TrainResult;
  checkpointDir: string;
  parameters: number;
  /** how spec.model.initialWeights loaded: every tensor and parameter (stages/initial-weights.ts) */
  weights?: InitialWeightsLoad;
}

export async function runTrainStage(spec: MemeExperimentSpec, opts: TrainStageOptions): Promise<TrainStageResult> {
  const prepared = join(opts.workDir, "prepared");
  const dims = await preparedDims(prepared);
  const trainSplit = await loadPreparedSource(prepared, "train");
  const validation = await loadPreparedSource(prepared, "validation");
  checkStoppingMetric(spec.training.earlyStopping.metric, validation);
  const model = createModel(spec.model.name, spec.model.size, dims, {
    seed: spec.training.seed,
    ...(spec.model.poolerActivation ? { poolerActivation: spec.model.poolerActivation } : {}),
    modalities: spec.model.modalities,
  });
  try {
    const weights = spec.model.initialWeights
      ? await loadInitialWeights(model, spec.model.initialWeights, { workDir: opts.workDir, ...(opts.log ? { log: opts.log } : {}) })
      : undefined;
    const { textLayers, visualLayers } = spec.training.freeze;
    model.freeze({ text: textLayers ?? null, visual: visualLayers ?? null });
    const { total: parameters, trainable } = parameterCount(model);
    opts.log?.(`${spec.model.name} (${spec.model.size}, ${spec.model.modalities.join(" + ")}): ${parameters.toLocaleString("en-US")} parameters` +
      `${trainable < parameters ? `, ${trainable.toLocaleString("en-US")} trainable (training.freeze)` : ""}; ` +
      `train ${trainSplit.size}, validation ${validation.size}; T=${dims.T} R=${dims.R} D=${dims.D}`);
    const checkpointDir = join(opts.workDir, "checkpoints");
    const env = opts.env ?? process.env;
    const frozenCacheDir = env.MEMEOPS_CACHE_DIR ? join(env.MEMEOPS_CACHE_DIR, "frozen-outputs") : join(opts.workDir, "cache", "frozen-outputs");
    const result = await train({
      model, training: spec.training, train: trainSplit, validation, checkpointDir, frozenCacheDir,
      resume: opts.resume ?? false,
      onEvent: (e) => {
        if (e.type === "frozen_cache") {
          opts.log?.(`training.freeze: frozen parts' outputs for ${e.samples} samples ${e.fromDisk ? "read from" : "computed and kept in"} ` +
            `${frozenCacheDir} in ${e.seconds.toFixed(1)} s (${(e.bytes / 2 ** 20).toFixed(0)} MiB in memory)`);
        }
        opts.onEvent?.(e);
      },
    });
    return { model, result, checkpointDir, parameters, ...(weights ? { weights } : {}) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * Early stopping on an epoch without a value for its metric (NaN) counts it as no improvement (training/
 * early-stopping.ts): a diverged run stops after `patience` epochs and keeps its best epoch. AUROC of a validation
 * split with one class has no value in any epoch, so no epoch could ever be the best: refused before training.
 */
export function checkStoppingMetric(metric: MemeExperimentSpec["training"]["earlyStopping"]["metric"], validation: PreparedSource): void {
  if (metric !== "val_auroc") return;
  const labelled = validation.items.filter((i) => i.label !== null);
  const positives = labelled.filter((i) => i.label === 1).length;
  const negatives = labelled.length - positives;
  if (positives > 0 && negatives > 0) return;
  throw new Error(
    `spec.training.earlyStopping.metric val_auroc: the validation split holds one class only (${positives} positive, ${negatives} negative), ` +
      "so AUROC has no value in any epoch and no epoch could be the best; stop on val_loss instead, or give the validation split both classes",
  );
}
