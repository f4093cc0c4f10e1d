// `memeops run` and `memeops trainer` after prepare: train -> evaluate (train mode), or evaluate / predict with
// initialWeights, in this process; writes WORKDIR/checkpoints, WORKDIR/predictions.csv, the pictures (roc,
// training-curves) and WORKDIR/results.json. An evaluate stage run on its own (a later Job, `--stages evaluate`)
// takes the training history and best epoch from the checkpoints, so its results equal a one-process run's.
import { join, resolve } from "node:path";
import type { MemeExperiment } from "../../../api/v1alpha1/memeexperiment.ts";
import type { Model } from "../models/model.ts";
import type { TrainEvent } from "../training/loop.ts";
import { modelFromCheckpoint, readTrainingManifest, resolveCheckpoint } from "../training/checkpoint.ts";
import { selectBackend } from "../training/tfjs-backend.ts";
import type { Log } from "../data/log.ts";
import type { Stage } from "../../../api/contract/stages.ts";
import { runTrainStage } from "./train-stage.ts";
import { failedChecks, loadInitialModel, runEvaluateStage } from "./evaluate-stage.ts";
import { lastEpochs, RESULTS_FORMAT, writeResults, type RunResults } from "./results.ts";
import { stringify } from "yaml";
import { writeFileAtomic } from "../common/atomic-write.ts";
import { parameterCount } from "../models/model.ts";
import { PARAM, type RunTracker } from "../../../tracking/index.ts";
import { weightsParams, weightsSummary } from "./initial-weights.ts";
import { datasetHash, epochMetrics, logChecks, logTest, specParams } from "./mlflow-run.ts";
import type { EpochMetrics } from "../../../api/v1alpha1/status.ts";
import { writeRocPlot, writeTrainingCurvesPlot } from "../evaluation/plots/run-plots.ts";
import type { PlotFiles } from "../evaluation/plots/write-plot.ts";
import { shouldStop } from "../training/early-stopping.ts";

export interface RunLocalOptions {
  workDir: string;
  /** the stages to run, prepare excluded (it runs before) */
  stages: Stage[];
  log?: Log;
  onEvent?: (e: TrainEvent) => void;
  /** called as each stage begins */
  onStage?: (stage: Stage) => void;
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
  const addPlot = (p: PlotFiles) => {
    results.run.plots = [...(results.run.plots ?? []).filter((q) => q.name !== p.name), p];
    tracker?.logArtifact(p.svg, `plots/${p.name}.svg`);
    if (p.png) tracker?.logArtifact(p.png, `plots/${p.name}.png`);
    for (const n of p.notes ?? []) opts.log?.(`${p.name}: ${n}`);
  };
  const recordTraining = async (history: EpochMetrics[], bestEpoch: number | null, stoppedEarly: boolean) => {
    results.epochs = lastEpochs(history);
    results.run.epochsRun = history.length;
    results.run.stoppedEarly = stoppedEarly;
    if (bestEpoch !== null) {
      results.bestEpoch = bestEpoch;
      results.bestValAuroc = history.find((m) => m.epoch === bestEpoch)?.valAuroc ?? NaN;
    }
    addPlot(await writeTrainingCurvesPlot(workDir, history, bestEpoch));
  };
  let model: Model | null = null;
  try {
    if (opts.stages.includes("train")) {
      opts.onStage?.("train");
      const t = await runTrainStage(spec, {
        workDir, resume: opts.resume ?? false,
        ...(opts.log ? { log: opts.log } : {}), ...(onEvent ? { onEvent } : {}),
      });
      model = t.model;
      logModel(model);
      if (t.weights) {
        results.run.initialWeights = weightsSummary(t.weights);
        tracker?.logParams(weightsParams(t.weights));
        tracker?.logArtifact(join(workDir, "weights-report.json"), "weights-report.json");
      }
      await recordTraining(t.result.history, t.result.bestEpoch, t.result.stoppedEarly);
      if (t.result.bestEpoch !== null) {
        results.checkpointUri = await resolveCheckpoint(t.checkpointDir, "best");
        tracker?.logMetrics({ best_epoch: t.result.bestEpoch, best_val_auroc: Number.isFinite(results.bestValAuroc) ? results.bestValAuroc : undefined });
        tracker?.logArtifact(results.checkpointUri, "checkpoint");
      }
    }
    const evalStage = opts.stages.find((s) => s === "evaluate" || s === "predict");
    if (evalStage) {
      opts.onStage?.(evalStage);
      if (!model) {
        if (spec.mode === "train") {
          // evaluate only (--stages evaluate, a later Job) after an earlier train run into the same WORKDIR
          const root = join(workDir, "checkpoints");
          const loaded = await modelFromCheckpoint(root, "best");
          model = loaded.model;
          results.checkpointUri = loaded.dir;
          const latest = await readTrainingManifest(await resolveCheckpoint(root, "latest"));
          const s = latest.earlyStopping;
          await recordTraining(latest.history, s.bestEpoch, shouldStop(s));
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
      if (e.byClass) results.testByClass = e.byClass;
      results.checks = e.evaluation.checks;
      results.run.predictions = e.predictionsPath;
      if (e.evaluation.results) addPlot(await writeRocPlot(workDir, e.evaluation.predictions, e.evaluation.results));
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
