// The training loop, top to bottom: per epoch, shuffle (seeded), step through the train split, evaluate the
// validation split, record the epoch's metrics, update early stopping, checkpoint; at the end, the best epoch's
// weights are in the model. With `resume`, it continues from the latest checkpoint in `checkpointDir` and ends
// with the same result as an uninterrupted run (all randomness derives from (seed, step), see rng.ts). A model with
// frozen parts (training.freeze, applied by the caller) gets both splits with those parts' outputs cached first.
import * as tf from "@tensorflow/tfjs";
import type { TrainingSpec } from "../../../api/v1alpha1/spec.ts";
import type { EpochMetrics } from "../../../api/v1alpha1/status.ts";
import type { BatchSource } from "../common/batch.ts";
import type { FrozenLayers, Model } from "../models/model.ts";
import { FrozenOutputSource, withFrozenOutputs } from "./frozen-cache.ts";
import { AdamW, ADAMW_DEFAULTS } from "./adamw.ts";
import { learningRateAt } from "./schedule.ts";
import { trainStep } from "./step.ts";
import { deriveSeed } from "../common/rng.ts";
import { initialEarlyStopping, observe, shouldStop, type EarlyStoppingState } from "./early-stopping.ts";
import {
  hasCheckpoint, loadModelWeights, loadOptimizerState, resolveCheckpoint, saveCheckpoint,
} from "./checkpoint.ts";
import { predict } from "../evaluation/predict.ts";
import { classificationReport } from "../evaluation/metrics.ts";

export type TrainEvent =
  | { type: "frozen_cache"; frozen: FrozenLayers; samples: number; seconds: number; bytes: number; fromDisk: boolean }
  | { type: "start"; epochs: number; stepsPerEpoch: number; totalSteps: number; resumedAfterEpoch: number | null }
  | { type: "step"; epoch: number; step: number; batch: number; loss: number; learningRate: number; gradNorm: number; samplesPerSecond: number }
  | { type: "epoch"; metrics: EpochMetrics; improved: boolean; bestEpoch: number | null; seconds: number; samplesPerSecond: number }
  | { type: "checkpoint"; epoch: number; path: string }
  | { type: "early_stop"; epoch: number; bestEpoch: number | null }
  | { type: "end"; bestEpoch: number | null; epochsRun: number };

export interface TrainOptions {
  model: Model;
  training: TrainingSpec;
  train: BatchSource;
  validation: BatchSource;
  /** where checkpoints go; none are written without it */
  checkpointDir?: string;
  /** continue from checkpointDir's latest checkpoint when there is one */
  resume?: boolean;
  /** where frozen parts' outputs are kept between runs (training/frozen-cache.ts); in memory only without it */
  frozenCacheDir?: string;
  onEvent?: (e: TrainEvent) => void;
}

export interface TrainResult {
  history: EpochMetrics[];
  bestEpoch: number | null;
  /** the early-stopping metric's best value */
  bestValue: number | null;
  stoppedEarly: boolean;
  steps: number;
}

const metricValue = (m: EpochMetrics, name: EarlyStoppingState["metric"]): number =>
  ({ val_auroc: m.valAuroc, val_loss: m.valLoss, val_f1: m.valF1, val_accuracy: m.valAccuracy })[name];

const snapshot = (model: Model) => new Map([...model.params.variables].map(([n, v]) => [n, v.clone()] as const));

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { model, training: t } = opts;
  const emit = opts.onEvent ?? (() => {});
  const dims = opts.train.dims;
  const stepsPerEpoch = Math.ceil(opts.train.size / t.batchSize);
  const totalSteps = stepsPerEpoch * t.epochs;
  const optimizer = new AdamW({ ...ADAMW_DEFAULTS, weightDecay: t.weightDecay });

  let epoch = 0;
  let step = 0;
  let history: EpochMetrics[] = [];
  let stopping = initialEarlyStopping(t.earlyStopping);
  let best: Map<string, tf.Tensor> | null = null;

  if (opts.resume && opts.checkpointDir && (await hasCheckpoint(opts.checkpointDir))) {
    const dir = await resolveCheckpoint(opts.checkpointDir, "latest");
    const manifest = await loadModelWeights(model, dir);
    if (manifest.rng.seed !== t.seed) throw new Error(`checkpoint ${dir} was trained with seed ${manifest.rng.seed}, not ${t.seed}`);
    const recorded = JSON.stringify(manifest.frozen ?? { text: null, visual: null });
    if (recorded !== JSON.stringify(model.frozen)) throw new Error(`checkpoint ${dir} was trained with frozen parts ${recorded}, not ${JSON.stringify(model.frozen)}`);
    await loadOptimizerState(optimizer, dir, manifest);
    ({ epoch, step, history, earlyStopping: stopping } = manifest);
    if (stopping.bestEpoch !== null) {
      // the best weights live in the best checkpoint; read them without disturbing the current ones
      const current = snapshot(model);
      await loadModelWeights(model, await resolveCheckpoint(opts.checkpointDir, "best"));
      best = snapshot(model);
      for (const [n, v] of model.params.variables) v.assign(current.get(n)!);
      tf.dispose([...current.values()]);
    }
  }
  // after any resume: the cache is computed from the weights training starts with (frozen ones never change)
  const trainSplit = await withFrozenOutputs(model, opts.train, t.batchSize, opts.frozenCacheDir);
  const validation = await withFrozenOutputs(model, opts.validation, t.batchSize, opts.frozenCacheDir);
  if (trainSplit instanceof FrozenOutputSource && validation instanceof FrozenOutputSource) {
    emit({
      type: "frozen_cache", frozen: model.frozen, samples: trainSplit.size + validation.size,
      seconds: trainSplit.seconds + validation.seconds, bytes: trainSplit.bytes + validation.bytes,
      fromDisk: trainSplit.fromDisk && validation.fromDisk,
    });
  }
  emit({ type: "start", epochs: t.epochs, stepsPerEpoch, totalSteps, resumedAfterEpoch: epoch > 0 ? epoch : null });

  let stoppedEarly = shouldStop(stopping);
  while (!stoppedEarly && epoch < t.epochs) {
    epoch += 1;
    const started = performance.now();
    let lossSum = 0;
    let seen = 0;
    let batchIndex = 0;
    let lastYield = performance.now();
    for (const batch of trainSplit.batches(t.batchSize, { shuffleSeed: deriveSeed(t.seed, 1, epoch) })) {
      const stepStarted = performance.now();
      const learningRate = learningRateAt(step, t.learningRate, t.warmupSteps, totalSteps);
      const r = trainStep(model, optimizer, batch, dims, {
        loss: t.loss, learningRate, gradientClip: t.gradientClip, dropoutSeed: deriveSeed(t.seed, 2, step),
      });
      step += 1;
      batchIndex += 1;
      lossSum += r.loss * batch.ids.length;
      seen += batch.ids.length;
      const seconds = (performance.now() - stepStarted) / 1000;
      emit({ type: "step", epoch, step, batch: batchIndex, loss: r.loss, learningRate, gradNorm: r.gradNorm, samplesPerSecond: batch.ids.length / seconds });
      // Steps are synchronous: without a turn of the event loop now and then, progress reports, MLflow flushes and
      // SIGTERM handlers would wait for the epoch's end.
      if (performance.now() - lastYield > 1000) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
    const trainSeconds = (performance.now() - started) / 1000;

    const val = predict(model, validation, { batchSize: t.batchSize, loss: t.loss });
    const report = classificationReport(val.probabilities, val.labels, 0.5);
    const metrics: EpochMetrics = {
      epoch, trainLoss: lossSum / seen, valLoss: val.loss, valAuroc: report.auroc, valAccuracy: report.accuracy, valF1: report.f1,
      ...(report.undefinedBecause?.auroc && { undefinedBecause: { valAuroc: report.undefinedBecause.auroc } }),
    };
    history = [...history, metrics];
    const verdict = observe(stopping, epoch, metricValue(metrics, stopping.metric));
    stopping = verdict.state;
    if (verdict.improved) {
      if (best) tf.dispose([...best.values()]);
      best = snapshot(model);
    }
    emit({
      type: "epoch", metrics, improved: verdict.improved, bestEpoch: stopping.bestEpoch,
      seconds: (performance.now() - started) / 1000, samplesPerSecond: seen / trainSeconds,
    });
    if (opts.checkpointDir) {
      const path = await saveCheckpoint(opts.checkpointDir, model, optimizer, {
        epoch, step, rng: { seed: t.seed, step }, history, earlyStopping: stopping,
      }, verdict.improved);
      emit({ type: "checkpoint", epoch, path });
    }
    if (verdict.stop) {
      stoppedEarly = true;
      emit({ type: "early_stop", epoch, bestEpoch: stopping.bestEpoch });
    }
  }

  if (best) {
    for (const [n, v] of model.params.variables) v.assign(best.get(n)!);
    tf.dispose([...best.values()]);
  }
  optimizer.dispose();
  emit({ type: "end", bestEpoch: stopping.bestEpoch, epochsRun: epoch });
  return { history, bestEpoch: stopping.bestEpoch, bestValue: stopping.bestValue, stoppedEarly, steps: step };
}
