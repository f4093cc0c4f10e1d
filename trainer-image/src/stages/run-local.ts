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
import { stringify } from "yaml";
import { writeFileAtomic } from "../training/atomic-write.ts";
import { parameterCount } from "../models/model.ts";
import { PARAM, type RunTracker } from "../../../tracking/index.ts";
import { datasetHash, epochMetrics, logChecks, logTest, specParams } from "./tracking.ts";

export interface RunLocalOptions {
  workDir: string;
  /** the stages to run, prepare excluded (it runs before) */
  stages: Stage[];
  log?: Log;
  onEvent?: (e: TrainEvent) => void;
  resume?: boolean;
  /**
   * MLflow run to log into (params, per-epoch metrics as they happen, test metrics, checks, artifacts). Only
   * logged into: the caller owns it and sets its final status (it also covers the prepare stage).
   */
  tracker?: RunTracker;
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
  const tracker = opts.tracker;
  let onEvent = opts.onEvent;
  if (tracker) {
    const specFile = join(workDir, "experiment.yaml");
    await writeFileAtomic(specFile, stringify({ apiVersion: experiment.apiVersion, kind: experiment.kind, metadata: { name: experiment.metadata.name }, spec }));
    tracker.logArtifact(specFile, "experiment.yaml");
    tracker.logParams({
      ...specParams(spec),
      [PARAM.backend]: backend.choice,
      [PARAM.device]: backend.choice === "tensorflow-gpu" ? "gpu" : "cpu",
      [PARAM.datasetHash]: await datasetHash(join(workDir, "prepared")),
    });
    const outer = opts.onEvent;
    // per-epoch metrics while training runs, step = epoch
    onEvent = (e) => {
      if (e.type === "epoch") tracker.logEpoch(e.metrics.epoch, epochMetrics(e.metrics));
      outer?.(e);
    };
  }
  const logModel = (m: Model) => {
    const c = parameterCount(m);
    tracker?.logParams({ [PARAM.modelTotalParams]: c.total, [PARAM.modelTrainableParams]: c.trainable });
  };
  let model: Model | null = null;
  try {
    if (opts.stages.includes("train")) {
      const t = await runTrainStage(spec, {
        workDir, resume: opts.resume ?? false,
        ...(opts.log ? { log: opts.log } : {}), ...(onEvent ? { onEvent } : {}),
      });
      model = t.model;
      logModel(model);
      results.epochs = lastEpochs(t.result.history);
      results.run.epochsRun = t.result.history.length;
      results.run.stoppedEarly = t.result.stoppedEarly;
      if (t.result.bestEpoch !== null) {
        results.bestEpoch = t.result.bestEpoch;
        results.bestValAuroc = t.result.history.find((m) => m.epoch === t.result.bestEpoch)?.valAuroc ?? NaN;
        results.checkpointUri = await resolveCheckpoint(t.checkpointDir, "best");
        tracker?.logMetrics({ best_epoch: t.result.bestEpoch, best_val_auroc: Number.isFinite(results.bestValAuroc) ? results.bestValAuroc : undefined });
        tracker?.logArtifact(results.checkpointUri, "checkpoint");
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
        logModel(model);
        tracker?.logParams({ initial_checkpoint: results.checkpointUri });
      }
      const e = await runEvaluateStage(model, spec, { workDir });
      if (e.evaluation.results) results.test = e.evaluation.results;
      results.checks = e.evaluation.checks;
      results.run.predictions = e.predictionsPath;
      const failed = failedChecks(e.evaluation.checks, spec.mode).map((c) => c.name);
      results.run.failedChecks = failed;
      results.run.succeeded = !(spec.checks.enforce && failed.length > 0);
      if (tracker) {
        if (e.evaluation.results) logTest(tracker, e.evaluation.results);
        logChecks(tracker, e.evaluation.checks);
        tracker.logArtifact(e.predictionsPath, "predictions.csv");
      }
    }
  } finally {
    model?.dispose();
  }
  results.run.seconds = (performance.now() - started) / 1000;
  await writeResults(join(workDir, "results.json"), results);
  tracker?.logArtifact(join(workDir, "results.json"), "results.json");
  return results;
}
