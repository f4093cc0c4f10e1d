// `memeops run` after prepare: train -> evaluate (train mode), or evaluate / predict with initialWeights, in this
// process; writes WORKDIR/checkpoints, WORKDIR/predictions.csv and WORKDIR/results.json.
import { join, resolve } from "node:path";
import type { MemeExperiment } from "../../../api/v1alpha1/memeexperiment.ts";
import type { Model } from "../models/model.ts";
import type { TrainEvent } from "../training/loop.ts";
import { modelFromCheckpoint, resolveCheckpoint } from "../training/checkpoint.ts";
import { selectBackend } from "../training/backend.ts";
import type { Log } from "../data/log.ts";
import type { Stage } from "./plan.ts";
import { runTrainStage } from "./train-stage.ts";
import { failedChecks, loadInitialModel, runEvaluateStage } from "./evaluate-stage.ts";
import { lastEpochs, RESULTS_FORMAT, writeResults, type RunResults } from "./results.ts";

export interface RunLocalOptions {
  workDir: string;
  /** the stages to run, prepare excluded (it runs before) */
  stages: Stage[];
  log?: Log;
  onEvent?: (e: TrainEvent) => void;
  resume?: boolean;
}

export async function runLocal(experiment: MemeExperiment, opts: RunLocalOptions): Promise<RunResults> {
  const started = performance.now();
  const spec = experiment.spec;
  const workDir = resolve(opts.workDir);
  const backend = await selectBackend(opts.log ? { log: opts.log } : {});
  const results: RunResults = {
    format: RESULTS_FORMAT,
    run: {
      experiment: experiment.metadata.name, mode: spec.mode, stages: opts.stages, backend: backend.choice,
      seconds: 0, failedChecks: [], succeeded: true,
    },
  };
  let model: Model | null = null;
  try {
    if (opts.stages.includes("train")) {
      const t = await runTrainStage(spec, {
        workDir, resume: opts.resume ?? false,
        ...(opts.log ? { log: opts.log } : {}), ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      });
      model = t.model;
      results.epochs = lastEpochs(t.result.history);
      results.run.epochsRun = t.result.history.length;
      results.run.stoppedEarly = t.result.stoppedEarly;
      if (t.result.bestEpoch !== null) {
        results.bestEpoch = t.result.bestEpoch;
        results.bestValAuroc = t.result.history.find((m) => m.epoch === t.result.bestEpoch)?.valAuroc ?? NaN;
        results.checkpointUri = await resolveCheckpoint(t.checkpointDir, "best");
      }
    }
    const evalStage = opts.stages.find((s) => s === "evaluate" || s === "predict");
    if (evalStage) {
      if (!model) {
        if (spec.mode === "train") {
          // evaluate only (--stages evaluate) after an earlier train run into the same WORKDIR
          const loaded = await modelFromCheckpoint(join(workDir, "checkpoints"), "best");
          model = loaded.model;
          results.checkpointUri = loaded.dir;
        } else {
          const loaded = await loadInitialModel(spec, workDir);
          model = loaded.model;
          results.checkpointUri = loaded.checkpoint;
        }
      }
      const e = await runEvaluateStage(model, spec, { workDir });
      if (e.evaluation.results) results.test = e.evaluation.results;
      results.checks = e.evaluation.checks;
      results.run.predictions = e.predictionsPath;
      const failed = failedChecks(e.evaluation.checks, spec.mode).map((c) => c.name);
      results.run.failedChecks = failed;
      results.run.succeeded = !(spec.checks.enforce && failed.length > 0);
    }
  } finally {
    model?.dispose();
  }
  results.run.seconds = (performance.now() - started) / 1000;
  await writeResults(join(workDir, "results.json"), results);
  return results;
}
