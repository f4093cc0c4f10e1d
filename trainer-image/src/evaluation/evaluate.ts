// One call for the evaluate stage: predictions on a split, its TestResults (when labels are known), and the seven
// checks. The threshold is 0.5 unless given; pass f1OptimalThreshold(validation predictions) to use the
// validation-F1-optimal one (never choose it on the split being reported).
import type { BatchSource } from "../common/batch.ts";
import type { Model } from "../models/model.ts";
import type { LossSpec } from "../common/losses.ts";
import type { ChecksSpec } from "../../../api/v1alpha1/spec.ts";
import type { CheckResult, TestResults } from "../../../api/v1alpha1/status.ts";
import { predict, type Predictions } from "./predict.ts";
import { classificationReport } from "./metrics.ts";
import { predictionsAt, runChecks } from "./checks.ts";

export interface Evaluation {
  predictions: Predictions;
  threshold: number;
  /** null when any label is unknown (predict mode) */
  results: TestResults | null;
  checks: CheckResult[];
}

export function evaluateSplit(
  model: Model, source: BatchSource, opts: { batchSize: number; loss?: LossSpec; threshold?: number; checks: ChecksSpec },
): Evaluation {
  const threshold = opts.threshold ?? 0.5;
  const predictions = predict(model, source, { batchSize: opts.batchSize, loss: opts.loss });
  const labelled = predictions.labels.every((y) => y === 0 || y === 1);
  const results = labelled
    ? classificationReport(predictions.probabilities, predictions.labels, threshold, Number.isNaN(predictions.loss) ? undefined : predictions.loss)
    : null;
  const checks = runChecks(
    { probabilities: predictions.probabilities, predictions: predictionsAt(predictions.probabilities, threshold), labels: predictions.labels },
    opts.checks,
  );
  return { predictions, threshold, results, checks };
}
