// The train stage: a fresh model (or the weights of spec.model.initialWeights) trained on the prepared train split,
// validated each epoch, checkpointed under WORKDIR/checkpoints. The best epoch's weights are in the model after it.
import { join } from "node:path";
import type { MemeExperimentSpec } from "../../../api/v1alpha1/spec.ts";
import { createModel } from "../models/registry.ts";
import { parameterCount, type Model } from "../models/model.ts";
import { train, type TrainEvent, type TrainResult } from "../training/loop.ts";
import type { Log } from "../data/log.ts";
import { loadPreparedSource, preparedDims } from "./prepared-source.ts";
import { loadInitialWeights, type InitialWeightsLoad } from "./weights.ts";

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
  /** how spec.model.initialWeights loaded: every tensor and parameter (stages/weights.ts) */
  weights?: InitialWeightsLoad;
}

export async function runTrainStage(spec: MemeExperimentSpec, opts: TrainStageOptions): Promise<TrainStageResult> {
  const prepared = join(opts.workDir, "prepared");
  const dims = await preparedDims(prepared);
  const trainSplit = await loadPreparedSource(prepared, "train");
  const validation = await loadPreparedSource(prepared, "validation");
  const model = createModel(spec.model.name, spec.model.size, dims, { seed: spec.training.seed });
  try {
    const weights = spec.model.initialWeights
      ? await loadInitialWeights(model, spec.model.initialWeights, { workDir: opts.workDir, ...(opts.log ? { log: opts.log } : {}) })
      : undefined;
    const parameters = parameterCount(model).total;
    opts.log?.(`${spec.model.name} (${spec.model.size}): ${parameters.toLocaleString("en-US")} parameters; ` +
      `train ${trainSplit.size}, validation ${validation.size}; T=${dims.T} R=${dims.R} D=${dims.D}`);
    const checkpointDir = join(opts.workDir, "checkpoints");
    const result = await train({
      model, training: spec.training, train: trainSplit, validation, checkpointDir,
      resume: opts.resume ?? false, ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    });
    return { model, result, checkpointDir, parameters, ...(weights ? { weights } : {}) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
