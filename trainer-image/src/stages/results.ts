// WORKDIR/results.json: what a run produced, in the shape of the MemeExperiment status fields the operator fills
// from it (epochs, bestEpoch, bestValAuroc, test, checks, checkpointUri), plus a few local facts under `run`.
// JSON has no NaN: a metric that is not finite (AUROC of a one-class split) is written as null.
import { writeFileAtomic } from "../common/atomic-write.ts";
import type { MemeExperimentStatus } from "../../../api/v1alpha1/status.ts";
import { MAX_EPOCH_HISTORY } from "../../../api/v1alpha1/status.ts";
import type { EpochMetrics, TestResults } from "../../../api/v1alpha1/status.ts";
import type { Stage } from "../../../api/contract/stages.ts";
import type { TrainEvent } from "../training/loop.ts";
import type { Fields, Logger } from "../../../api/contract/log.ts";
import type { PlotFiles } from "../evaluation/plots/write-plot.ts";
import type { weightsSummary } from "./initial-weights.ts";
import type { ClassFigures } from "../evaluation/by-class.ts";

export const RESULTS_FORMAT = "memeops.results/v1";

export type StatusResults = Pick<MemeExperimentStatus, "epochs" | "bestEpoch" | "bestValAuroc" | "test" | "checks" | "checkpointUri">;

export interface RunResults extends Omit<StatusResults, "epochs" | "test"> {
  format: typeof RESULTS_FORMAT;
  /** as measured: a metric without a value is NaN here, null in results.json (the status leaves it out, with its reason) */
  epochs?: EpochMetrics[];
  test?: TestResults;
  /** test figures per source class (spec.dataset.layout.labels): count, share predicted positive, mean probability */
  testByClass?: ClassFigures[];
  run: {
    experiment: string;
    mode: "train" | "evaluate" | "predict";
    stages: Stage[];
    backend?: string;
    seconds: number;
    /** all epochs (status keeps the last MAX_EPOCH_HISTORY) */
    epochsRun?: number;
    stoppedEarly?: boolean;
    predictions?: string;
    /** the pictures: roc, training-curves (SVG, and PNG when sharp rendered it) */
    plots?: PlotFiles[];
    /** how model.initialWeights loaded (the full per-tensor report is weights-report.json) */
    initialWeights?: ReturnType<typeof weightsSummary>;
    /** names of the checks that fail the run (empty: none) */
    failedChecks: string[];
    /** false when checks failed and spec.checks.enforce is true */
    succeeded: boolean;
  };
}

export const lastEpochs = (history: EpochMetrics[]) => history.slice(-MAX_EPOCH_HISTORY);

const finiteOrNull = (_: string, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v);

export function resultsJson(r: RunResults): string {
  return `${JSON.stringify(r, finiteOrNull, 2)}\n`;
}

export async function writeResults(path: string, r: RunResults): Promise<void> {
  await writeFileAtomic(path, resultsJson(r));
}

const f4 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(4));

/** One readable line per epoch. */
/** A training event as a JSON log line (no terminal, or in a Job): start, each epoch's end, early stop, end. */
export function logTrainEvent(log: Pick<Logger, "info">, e: TrainEvent, fields: Fields = {}): void {
  if (e.type === "step" || e.type === "checkpoint") return;
  log.info(e.type === "epoch" ? `epoch ${e.metrics.epoch} done` : e.type, { ...fields, event: e.type, ...e, type: undefined });
}

export function formatEpoch(m: EpochMetrics, opts: { total: number; improved: boolean; seconds: number; samplesPerSecond: number }): string {
  return `epoch ${String(m.epoch).padStart(String(opts.total).length)}/${opts.total}  train_loss ${f4(m.trainLoss)}  ` +
    `val_loss ${f4(m.valLoss)}  val_auroc ${f4(m.valAuroc)}  val_acc ${f4(m.valAccuracy)}  val_f1 ${f4(m.valF1)}  ` +
    `${opts.seconds.toFixed(1)} s (${opts.samplesPerSecond.toFixed(0)} samples/s)${opts.improved ? "  *best" : ""}`;
}

/** The summary printed at the end of a run. */
export function formatSummary(r: RunResults): string {
  const lines: string[] = [];
  if (r.epochs?.length) {
    lines.push("epoch  train_loss  val_loss  val_auroc  val_acc  val_f1");
    for (const m of r.epochs) {
      lines.push(`${String(m.epoch).padStart(5)}${m.epoch === r.bestEpoch ? "*" : " "} ${f4(m.trainLoss).padStart(10)}  ` +
        `${f4(m.valLoss).padStart(8)}  ${f4(m.valAuroc).padStart(9)}  ${f4(m.valAccuracy).padStart(7)}  ${f4(m.valF1).padStart(6)}`);
    }
    lines.push(`best epoch ${r.bestEpoch ?? "-"} (val_auroc ${f4(r.bestValAuroc)})${r.run.stoppedEarly ? ", stopped early" : ""}`);
  }
  if (r.test) {
    const t = r.test;
    const c = t.confusionMatrix;
    lines.push(`test (${t.samples} samples, threshold ${t.threshold}): auroc ${f4(t.auroc)}  accuracy ${f4(t.accuracy)}  ` +
      `precision ${f4(t.precision)}  recall ${f4(t.recall)}  f1 ${f4(t.f1)}${t.loss === undefined ? "" : `  loss ${f4(t.loss)}`}  ` +
      `[tp ${c.tp} fp ${c.fp} tn ${c.tn} fn ${c.fn}]`);
  }
  for (const c of r.testByClass ?? []) {
    lines.push(`  class ${JSON.stringify(c.class)} (label ${c.label}, ${c.count} samples): ${(100 * c.predictedPositiveShare).toFixed(1)}% predicted positive, ` +
      `mean probability ${f4(c.meanProbability)}`);
  }
  if (r.checks?.length) {
    lines.push("checks:");
    for (const c of r.checks) lines.push(`  ${c.passed ? "pass" : "FAIL"}  ${c.name.padEnd(25)} ${c.message}`);
  }
  const w = r.run.initialWeights;
  if (w) {
    lines.push(`initial weights: ${w.loaded} tensors from ${w.uri} (${w.layout})` +
      (w.notLoadedCount ? `; ${w.notLoadedCount} kept initial values: ${w.notLoaded.join(", ")}` : ""));
  }
  if (r.checkpointUri) lines.push(`checkpoint: ${r.checkpointUri}`);
  if (r.run.predictions) lines.push(`predictions: ${r.run.predictions}`);
  for (const p of r.run.plots ?? []) lines.push(`${p.name}: ${p.png ?? p.svg}${p.notes?.length ? ` (${p.notes.join("; ")})` : ""}`);
  lines.push(`${r.run.succeeded ? "succeeded" : `FAILED: check(s) ${r.run.failedChecks.join(", ")} failed (checks.enforce)`}` +
    ` in ${r.run.seconds.toFixed(1)} s${r.run.backend ? ` on tfjs ${r.run.backend}` : ""}`);
  return lines.join("\n");
}
