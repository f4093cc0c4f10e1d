// The seven prediction checks of the original project, with its names, as structured results (status.ts CheckResult).
// A check that cannot run fails and says why; it never passes silently. The one such case: better_than_random
// without known labels (predict mode) fails with "not run: ..."; callers that predict on unlabelled data decide
// whether to enforce it (see `notRun`).
import type { ChecksSpec } from "../../../api/v1alpha1/spec.ts";
import type { CheckResult } from "../../../api/v1alpha1/status.ts";
import { auroc } from "./metrics.ts";

export interface CheckInput {
  /** probabilities of class 1; null/NaN entries are what the null checks look for */
  probabilities: ArrayLike<number | null>;
  /** predicted classes (null/NaN allowed, for the same reason) */
  predictions: ArrayLike<number | null>;
  /** 0/1, -1 = unknown */
  labels: ArrayLike<number>;
}

const isNull = (x: number | null | undefined) => x === null || x === undefined || Number.isNaN(x);

export function predictionsAt(probabilities: ArrayLike<number>, threshold: number): number[] {
  return Array.from(probabilities, (p) => (Number.isNaN(p) ? NaN : p >= threshold ? 1 : 0));
}

export function runChecks(input: CheckInput, spec: ChecksSpec): CheckResult[] {
  const probs = Array.from(input.probabilities);
  const preds = Array.from(input.predictions);
  const n = preds.length;
  const nullPreds = preds.filter(isNull).length;
  const nonBinary = preds.filter((p) => !isNull(p) && p !== 0 && p !== 1).length;
  const nullProbs = probs.filter(isNull).length;
  const outOfRange = probs.filter((p) => !isNull(p) && (p! < 0 || p! > 1)).length;
  const classes = new Set(preds.filter((p) => p === 0 || p === 1)).size;

  const results: CheckResult[] = [
    { name: "no_null_predictions", passed: nullPreds === 0, value: nullPreds, threshold: 0, message: `${nullPreds} null predictions of ${n}` },
    { name: "valid_binary_predictions", passed: nonBinary === 0, value: nonBinary, threshold: 0, message: `${nonBinary} predictions not in {0, 1}` },
    { name: "valid_probability_range", passed: outOfRange === 0, value: outOfRange, threshold: 0, message: `${outOfRange} probabilities outside [0, 1]` },
    { name: "no_null_probabilities", passed: nullProbs === 0, value: nullProbs, threshold: 0, message: `${nullProbs} null probabilities of ${probs.length}` },
    {
      name: "prediction_count", passed: n >= spec.minPredictions, value: n, threshold: spec.minPredictions,
      message: `${n} predictions, at least ${spec.minPredictions} required`,
    },
    {
      name: "class_distribution", passed: classes >= spec.minClasses, value: classes, threshold: spec.minClasses,
      message: `${classes} distinct predicted classes, at least ${spec.minClasses} required`,
    },
    betterThanRandom(probs, input.labels, spec.minAuroc),
  ];
  return results;
}

function betterThanRandom(probs: (number | null)[], labels: ArrayLike<number>, minAuroc: number): CheckResult {
  const base = { name: "better_than_random" as const, passed: false, threshold: minAuroc };
  const rows = probs.map((p, i) => [p, labels[i]] as const).filter(([p, y]) => !isNull(p) && (y === 0 || y === 1));
  if (rows.length < probs.length) {
    const unknown = probs.length - rows.length;
    if (rows.length === 0) return { ...base, message: "not run: no sample has a known label (predict mode), so AUROC cannot be measured" };
    return { ...base, message: `not run: ${unknown} of ${probs.length} samples lack a known label or probability` };
  }
  const value = auroc(rows.map(([p]) => p!), rows.map(([, y]) => y!));
  if (Number.isNaN(value)) return { ...base, message: "not run: the labels hold one class only, so AUROC is undefined" };
  return { ...base, passed: value > minAuroc, value, message: `AUROC ${value.toFixed(4)} must exceed ${minAuroc}` };
}

/** Names of checks that could not run (their message starts with "not run:"). */
export function notRun(results: CheckResult[]): CheckResult["name"][] {
  return results.filter((r) => r.message.startsWith("not run:")).map((r) => r.name);
}
