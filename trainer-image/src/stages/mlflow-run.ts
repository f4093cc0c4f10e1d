// MLflow tracking of a local run (`memeops run`): where the run goes, and what runLocal logs into it.
// Every call here only buffers into the RunTracker: tracking never throws into training, and an unreachable
// server costs one warning (the tracker's), not the run.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { MemeExperiment } from "../../../api/v1alpha1/memeexperiment.ts";
import type { MemeExperimentSpec } from "../../../api/v1alpha1/spec.ts";
import type { CheckResult, EpochMetrics, TestResults } from "../../../api/v1alpha1/status.ts";
import { mlflowExperimentName } from "../../../api/contract/mlflow.ts";
import {
  createBackend, EPOCH_METRIC, PARAM, RunTracker, type RunTrackerOptions,
} from "../../../tracking/index.ts";
import type { Logger } from "../../../api/contract/log.ts";
import { credentialsFromEnv } from "../../../tracking/mlflow/auth.ts";
import { readPreparedManifest } from "../data/prepared.ts";

/** The local file store of `memeops run` when no tracking URI is given. */
export const DEFAULT_LOCAL_STORE = ".memeops/mlruns";

export interface TrackingTarget {
  /** http(s):// or file:// */
  uri: string;
  kind: "rest" | "file";
  /** where it came from: --tracking-uri, MLFLOW_TRACKING_URI, spec.tracking.uri, or the default */
  from: string;
}

/** --tracking-uri, else $MLFLOW_TRACKING_URI, else spec.tracking.uri, else file://ABS/.memeops/mlruns. */
export function resolveTrackingTarget(
  spec: MemeExperimentSpec, flag: string | undefined, env: Record<string, string | undefined> = process.env, cwd = process.cwd(),
): TrackingTarget {
  const pick: [string | undefined, string][] = [
    [flag, "--tracking-uri"], [env.MLFLOW_TRACKING_URI, "MLFLOW_TRACKING_URI"], [spec.tracking.uri, "spec.tracking.uri"],
  ];
  for (const [v, from] of pick) {
    const uri = v?.trim();
    if (!uri) continue;
    if (/^https?:\/\//i.test(uri)) return { uri: uri.replace(/\/+$/, ""), kind: "rest", from };
    if (uri.startsWith("file:")) return { uri, kind: "file", from };
    // a plain path: a file store there
    return { uri: pathToFileURL(resolve(cwd, uri)).href, kind: "file", from };
  }
  return { uri: pathToFileURL(resolve(cwd, DEFAULT_LOCAL_STORE)).href, kind: "file", from: "default" };
}

/** How to look at a run of this target. */
export function viewHint(t: TrackingTarget): string {
  return t.kind === "file"
    ? `MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri ${t.uri}`
    : `open ${t.uri}`;
}

export function createRunTracker(
  experiment: MemeExperiment, target: TrackingTarget,
  o: RunTrackerOptions & { env?: Record<string, string | undefined>; logger?: Logger } = {},
): RunTracker {
  const backend = createBackend({
    trackingUri: target.uri,
    credentials: credentialsFromEnv(o.env ?? process.env),
    ...(o.logger ? { logger: o.logger } : {}),
  });
  const { env: _env, ...trackerOptions } = o;
  // A run made ahead by whoever started this one (`memeops sweep run` makes each trial's run a child of the sweep's):
  // attach to it, as MLflow's own clients do with MLFLOW_RUN_ID.
  const runId = (o.env ?? process.env).MLFLOW_RUN_ID?.trim();
  return new RunTracker(backend, { ...localRunSpec(experiment), ...(runId && { runId }) }, trackerOptions);
}

/** The MLflow experiment, name and tags of a local run of this experiment. */
export function localRunSpec(experiment: MemeExperiment): { experimentName: string; runName: string; tags: Record<string, string> } {
  return {
    experimentName: mlflowExperimentName(experiment.metadata, experiment.spec),
    runName: experiment.metadata.name,
    tags: { "memeops.io/experiment": experiment.metadata.name, "memeops.io/mode": experiment.spec.mode, "mlflow.source.type": "LOCAL" },
  };
}

/** Nested objects as dotted keys: { optimizer: { name: "adamw" } } -> { "optimizer.name": "adamw" }. */
export function flatten(obj: Record<string, unknown>, prefix = ""): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === undefined || v === null) continue;
    if (typeof v === "object" && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, key));
    else out[key] = Array.isArray(v) ? JSON.stringify(v) : (v as string | number | boolean);
  }
  return out;
}

/** The experiment's params known before training: model, size, extractor, regions, dataset, and training.*. */
export function specParams(spec: MemeExperimentSpec): Record<string, string | number | boolean> {
  const source = Object.keys(spec.dataset.source).find((k) => (spec.dataset.source as Record<string, unknown>)[k] !== undefined);
  const sourceValue = source ? (spec.dataset.source as Record<string, unknown>)[source] : undefined;
  const sourceName = typeof sourceValue === "object" && sourceValue !== null
    ? (["name", "repo", "path", "uri", "url"].map((k) => (sourceValue as Record<string, unknown>)[k]).find((v) => typeof v === "string") as string | undefined)
    : undefined;
  return {
    mode: spec.mode,
    [PARAM.model]: spec.model.name,
    size: spec.model.size,
    modalities: spec.model.modalities.join(","),
    [PARAM.extractor]: spec.features.extractor,
    regions: spec.features.regions,
    [PARAM.datasetSource]: sourceName ? `${source}:${sourceName}` : (source ?? "unknown"),
    ...flatten(spec.training as unknown as Record<string, unknown>),
  };
}

/** dataset_hash: the prepared dataset's fingerprint (WORKDIR/prepared), when there is one. */
export async function datasetHash(preparedDir: string): Promise<string | undefined> {
  try {
    return (await readPreparedManifest(preparedDir)).fingerprint;
  } catch {
    return undefined;
  }
}

export function epochMetrics(m: EpochMetrics): Record<string, number | undefined> {
  const finite = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? undefined : x);
  return {
    [EPOCH_METRIC.trainLoss]: finite(m.trainLoss),
    [EPOCH_METRIC.valLoss]: finite(m.valLoss),
    [EPOCH_METRIC.valAuroc]: finite(m.valAuroc),
    [EPOCH_METRIC.valAccuracy]: finite(m.valAccuracy),
    [EPOCH_METRIC.valF1]: finite(m.valF1),
  };
}

export function logTest(tracker: RunTracker, t: TestResults): void {
  const finite = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? undefined : x);
  const c = t.confusionMatrix;
  tracker.logTestMetrics({
    auroc: finite(t.auroc), accuracy: finite(t.accuracy), precision: finite(t.precision), recall: finite(t.recall), f1: finite(t.f1),
    tp: c.tp, tn: c.tn, fp: c.fp, fn: c.fn,
  } as Parameters<RunTracker["logTestMetrics"]>[0]);
  tracker.logMetrics({ test_loss: finite(t.loss), test_threshold: finite(t.threshold), test_samples: t.samples });
}

export function logChecks(tracker: RunTracker, checks: CheckResult[]): void {
  tracker.logPredictionChecks(Object.fromEntries(checks.map((c) => [c.name, c.passed])));
}
