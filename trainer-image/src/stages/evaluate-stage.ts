// The evaluate and predict stages: the model on the prepared test split, TestResults when its labels are known,
// the seven checks, and WORKDIR/predictions.csv. In predict mode the labels are unknown, so better_than_random
// cannot run; it is reported ("not run: ...") but does not count as a failure there (see `failedChecks`).
import { join } from "node:path";
import type { MemeExperimentSpec } from "../../../api/v1alpha1/spec.ts";
import type { CheckResult } from "../../../api/v1alpha1/status.ts";
import type { Model } from "../models/model.ts";
import { evaluateSplit, type Evaluation } from "../evaluation/evaluate.ts";
import { figuresByClass, type ClassFigures } from "../evaluation/by-class.ts";
import { notRun } from "../evaluation/checks.ts";
import { writePredictions } from "../evaluation/predictions-file.ts";
import { modelFromCheckpoint } from "../training/checkpoint.ts";
import { loadPreparedSource, preparedDims } from "./prepared-source.ts";
import { locateInitialWeights } from "./initial-weights.ts";

export interface EvaluateStageResult {
  evaluation: Evaluation;
  predictionsPath: string;
  /** Test figures per source class, when spec.dataset.layout.labels mapped classes (see evaluation/by-class.ts). */
  byClass?: ClassFigures[];
}

export async function runEvaluateStage(
  model: Model, spec: MemeExperimentSpec, opts: { workDir: string },
): Promise<EvaluateStageResult> {
  const test = await loadPreparedSource(join(opts.workDir, "prepared"), "test");
  const evaluation = evaluateSplit(model, test, { batchSize: spec.training.batchSize, loss: spec.training.loss, checks: spec.checks });
  const predictionsPath = join(opts.workDir, "predictions.csv");
  await writePredictions(predictionsPath, evaluation.predictions, evaluation.threshold);
  const classOf = new Map(test.items.map((item) => [item.id, item.class]));
  const classes = evaluation.predictions.ids.map((id) => classOf.get(id));
  const byClass = classes.some((c) => c !== undefined)
    ? figuresByClass(classes, evaluation.predictions.probabilities, evaluation.predictions.labels, evaluation.threshold)
    : undefined;
  return { evaluation, predictionsPath, ...(byClass ? { byClass } : {}) };
}

/** Evaluate/predict modes: the model of spec.model.initialWeights, checked against the prepared data's dims. */
export async function loadInitialModel(spec: MemeExperimentSpec, workDir: string): Promise<{ model: Model; checkpoint: string }> {
  if (!spec.model.initialWeights) throw new Error("model.initialWeights is required to evaluate or predict");
  const { path } = await locateInitialWeights(spec.model.initialWeights, { workDir, trainedCheckpoint: true });
  const { model, dir } = await modelFromCheckpoint(path, "best");
  const want = await preparedDims(join(workDir, "prepared"));
  const got = model.architecture.dims;
  if (got.T !== want.T || got.R !== want.R || got.D !== want.D) {
    model.dispose();
    throw new Error(`checkpoint ${dir} expects T=${got.T} R=${got.R} D=${got.D}, but the prepared data has ` +
      `T=${want.T} R=${want.R} D=${want.D} (training.maxSequenceLength, features.regions and the extractor must match)`);
  }
  return { model, checkpoint: dir };
}

/** The checks that fail the run: all failed ones, except those that could not run in predict mode. */
export function failedChecks(checks: CheckResult[], mode: MemeExperimentSpec["mode"]): CheckResult[] {
  const skipped = mode === "predict" ? new Set(notRun(checks)) : new Set<string>();
  return checks.filter((c) => !c.passed && !skipped.has(c.name));
}
