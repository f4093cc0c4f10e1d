// Confidence intervals for a test-set metric by the percentile bootstrap over test items. With several training
// seeds, each resample draws one set of test items and scores every seed's predictions on it, so the interval covers
// both the test sample's randomness and (through the mean over seeds) the model's dependence on its seed; the items
// are paired across seeds, as they are in the real test set.
import { mulberry32 } from "../common/rng.ts";
import { auroc, confusion, rates } from "./metrics.ts";

export type Metric = (probs: ArrayLike<number>, labels: ArrayLike<number>) => number;

export interface Interval {
  /** the metric on the real test set, averaged over the runs */
  mean: number;
  /** the spread of the per-run values (sample standard deviation; 0 for one run) */
  sd: number;
  lo: number;
  hi: number;
  level: number;
}

export interface BootstrapOptions {
  resamples?: number;
  level?: number;
  seed?: number;
}

/** Accuracy with class 1 predicted when the probability is >= threshold. */
export const accuracyAt = (threshold = 0.5): Metric => (p, y) => rates(confusion(p, y, threshold)).accuracy;

/** The unweighted mean of the F1 of each class (sklearn's f1_score(average="macro")). */
export const macroF1At = (threshold = 0.5): Metric => (p, y) => {
  const c = confusion(p, y, threshold);
  const negativeAsPositive = { tp: c.tn, tn: c.tp, fp: c.fn, fn: c.fp };
  return (rates(c).f1 + rates(negativeAsPositive).f1) / 2;
};

export const aurocMetric: Metric = auroc;

/**
 * The mean over runs of `metric`, with a percentile-bootstrap interval. `runs` are the probabilities of each run on
 * the same test items, in the same order as `labels`. A resample whose metric is undefined (NaN: one class drawn) is
 * redrawn, so the interval is over defined values only.
 */
export function bootstrapInterval(runs: ArrayLike<number>[], labels: ArrayLike<number>, metric: Metric, opts: BootstrapOptions = {}): Interval {
  checkRuns(runs, labels);
  const perRun = runs.map((r) => metric(r, labels));
  const stat = (idx: Int32Array, y: Float64Array) => meanOverRuns(runs, idx, y, metric);
  return { ...meanAndSd(perRun), ...percentileBootstrap(labels, stat, opts) };
}

/**
 * How much better the runs `a` score than the runs `b` on the same test items (mean of a minus mean of b), with a
 * paired percentile-bootstrap interval: each resample scores both on the same items, so what the two share (the
 * items' difficulty) cancels. An interval above 0 says `a` is better beyond the test sample's and the seeds' noise.
 */
export function bootstrapDifference(
  a: ArrayLike<number>[], b: ArrayLike<number>[], labels: ArrayLike<number>, metric: Metric, opts: BootstrapOptions = {},
): Interval {
  checkRuns(a, labels);
  checkRuns(b, labels);
  const mean = average(a.map((r) => metric(r, labels))) - average(b.map((r) => metric(r, labels)));
  const stat = (idx: Int32Array, y: Float64Array) => meanOverRuns(a, idx, y, metric) - meanOverRuns(b, idx, y, metric);
  return { mean, sd: 0, ...percentileBootstrap(labels, stat, opts) };
}

function checkRuns(runs: ArrayLike<number>[], labels: ArrayLike<number>): void {
  if (runs.length === 0) throw new Error("bootstrap: no runs");
  for (const [i, r] of runs.entries()) {
    if (r.length !== labels.length) throw new Error(`bootstrap: run ${i} has ${r.length} probabilities for ${labels.length} labels`);
  }
}

function meanAndSd(perRun: number[]): { mean: number; sd: number } {
  const mean = average(perRun);
  const sd = perRun.length > 1 ? Math.sqrt(perRun.reduce((s, v) => s + (v - mean) ** 2, 0) / (perRun.length - 1)) : 0;
  return { mean, sd };
}

/** The metric of each run on the resampled items `idx` (whose labels are `y`), averaged over the runs. */
function meanOverRuns(runs: ArrayLike<number>[], idx: Int32Array, y: Float64Array, metric: Metric): number {
  const p = new Float64Array(idx.length);
  let sum = 0;
  for (const r of runs) {
    for (let i = 0; i < idx.length; i++) p[i] = r[idx[i]!]!;
    sum += metric(p, y);
  }
  return sum / runs.length;
}

/** The percentile interval of `statistic` over resamples of the items (with replacement); undefined values redrawn. */
function percentileBootstrap(
  labels: ArrayLike<number>, statistic: (idx: Int32Array, y: Float64Array) => number, opts: BootstrapOptions,
): { lo: number; hi: number; level: number } {
  const n = labels.length;
  const resamples = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  const rand = mulberry32(opts.seed ?? 0);
  const idx = new Int32Array(n);
  const y = new Float64Array(n);
  const values: number[] = [];
  let attempts = 0;
  while (values.length < resamples) {
    if (++attempts > resamples * 10) throw new Error(`bootstrap: the metric is undefined on most resamples (${values.length} of ${attempts} defined)`);
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rand() * n);
    for (let i = 0; i < n; i++) y[i] = labels[idx[i]!]!;
    const v = statistic(idx, y);
    if (Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return { lo: quantile(values, tail), hi: quantile(values, 1 - tail), level };
}

function average(xs: number[]): number {
  return xs.reduce((s, v) => s + v, 0) / xs.length;
}

/** Linear interpolation between order statistics (numpy's default "linear" method) on sorted values. */
export function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
