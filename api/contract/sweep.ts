// What a sweep and its trials agree on, for the operator and `memeops sweep run` alike: the trials' names and labels,
// and how a trial's objective is read from the per-epoch metrics it records.
import type { ReportedEpochMetrics } from "../v1alpha1/status.ts";
import type { ObjectiveSpec } from "../v1alpha1/sweep-spec.ts";
import { KUEUE_LABEL } from "./kueue.ts";

export const SWEEP_LABEL = "memeops.io/sweep";
export const TRIAL_INDEX_LABEL = "memeops.io/trial-index";
/** Kueue's labels: set on a sweep, they flow to its trials (and from them to the Jobs). */
export const KUEUE_LABELS = Object.values(KUEUE_LABEL);

/** On a trial: the MLflow run id of its sweep, which the trial's own run names as its parent (mlflow.parentRunId). */
export const PARENT_RUN_ANNOTATION = "memeops.io/mlflow-parent-run";
/** MLflow's tag that makes a run another's child: a trial's run names its sweep's run. */
export const PARENT_RUN_TAG = "mlflow.parentRunId";

/** `<sweep>-t0001` for index 0. */
export const trialName = (sweep: string, index: number) => `${sweep}-t${String(index + 1).padStart(4, "0")}`;

/** The objective metric's field in an epoch's metrics. */
export const METRIC_FIELDS = { val_auroc: "valAuroc", val_loss: "valLoss", val_f1: "valF1", val_accuracy: "valAccuracy" } as const;

/** The objective after each epoch (index 0 = epoch 1); null where the epoch has no value (a one-class AUROC) or is missing. */
export function objectiveCurve(epochs: readonly ReportedEpochMetrics[] | undefined, metric: ObjectiveSpec["metric"]): (number | null)[] {
  const field = METRIC_FIELDS[metric];
  const last = Math.max(0, ...(epochs ?? []).map((e) => e.epoch));
  const out: (number | null)[] = Array.from({ length: last }, () => null);
  for (const e of epochs ?? []) {
    const v = e[field];
    if (typeof v === "number" && Number.isFinite(v)) out[e.epoch - 1] = v;
  }
  return out;
}

/** The best value of a curve for the direction, with its 1-based epoch; undefined when it has none. */
export function bestOfCurve(curve: readonly (number | null)[], direction: "maximize" | "minimize"): { value: number; epoch: number } | undefined {
  let best: { value: number; epoch: number } | undefined;
  curve.forEach((v, i) => {
    if (v === null) return;
    if (!best || (direction === "maximize" ? v > best.value : v < best.value)) best = { value: v, epoch: i + 1 };
  });
  return best;
}

/** A trial as the trials table reads it (the sweep's status entry, or `memeops sweep run`'s record). */
export interface TrialRow {
  name: string;
  index: number;
  phase: string;
  parameters: Readonly<Record<string, string | number | boolean>>;
  value?: number;
  epoch?: number;
  reason?: string;
}

const csvCell = (v: unknown) => {
  const s = v === undefined || v === null ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/**
 * The trials as CSV, one column per parameter path then the objective's value: the table a parallel-coordinates plot
 * reads (the sweep's MLflow run holds it as trials.csv). `extra` adds columns after the standard ones.
 */
export function trialsCsv<R extends TrialRow>(metric: string, trials: readonly R[], extra: Record<string, (t: R) => unknown> = {}): string {
  const paths = [...new Set(trials.flatMap((t) => Object.keys(t.parameters)))];
  const header = ["trial", "index", "phase", ...paths, metric, "epoch", ...Object.keys(extra), "reason"];
  const rows = trials.map((t) => [t.name, t.index, t.phase, ...paths.map((p) => t.parameters[p]), t.value, t.epoch, ...Object.values(extra).map((f) => f(t)), t.reason]);
  return [header, ...rows].map((row) => row.map(csvCell).join(",")).join("\n") + "\n";
}
