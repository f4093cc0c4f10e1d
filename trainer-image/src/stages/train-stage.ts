// The train stage: a fresh model (or the weights of spec.model.initialWeights) trained on the prepared train split,
// validated each epoch, checkpointed under WORKDIR/checkpoints. The best epoch's weights are in the model after it.
import { join } from "node:path";
import type { MemeExperimentSpec } from "../../../api/v1alpha1/spec.ts";
import { createModel } from "../models/registry.ts";
import { parameterCount, type Model } from "../models/model.ts";
import { loadModelWeights, resolveCheckpoint } from "../training/checkpoint.ts";
import { train, type TrainEvent, type TrainResult } from "../training/loop.ts";
import type { Log } from "../data/log.ts";
import { loadPreparedSource, preparedDims } from "./prepared-source.ts";
import { resolveInitialWeights } from "./weights.ts";

export interface TrainStageOptions {
  /** WORKDIR: reads WORKDIR/prepared, writes WORKDIR/checkpoints */
  workDir: string;
  /** continue from WORKDIR/checkpoints when a checkpoint is there */
  resume?: boolean;
  log?: Log;
  onEvent?: (e: TrainEvent) => void;
}

export interface TrainStageResult {
  model: Model;
  result: TrainResult;
  checkpointDir: string;
  parameters: number;
}

export async function runTrainStage(spec: MemeExperimentSpec, opts: TrainStageOptions): Promise<TrainStageResult> {
  const prepared = join(opts.workDir, "prepared");
  const dims = await preparedDims(prepared);
  const trainSplit = await loadPreparedSource(prepared, "train");
  const validation = await loadPreparedSource(prepared, "validation");
  const model = createModel(spec.model.name, spec.model.size, dims, { seed: spec.training.seed });
  try {
    if (spec.model.initialWeights) {
      const path = await resolveInitialWeights(spec.model.initialWeights, opts.workDir);
      await loadModelWeights(model, await resolveCheckpoint(path, "best"));
      opts.log?.(`initial weights: ${path}`);
    }
    const parameters = parameterCount(model).total;
    opts.log?.(`${spec.model.name} (${spec.model.size}): ${parameters.toLocaleString("en-US")} parameters; ` +
      `train ${trainSplit.size}, validation ${validation.size}; T=${dims.T} R=${dims.R} D=${dims.D}`);
    const checkpointDir = join(opts.workDir, "checkpoints");
    const result = await train({
      model, training: spec.training, train: trainSplit, validation, checkpointDir,
      resume: opts.resume ?? false, ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    });
    return { model, result, checkpointDir, parameters };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
