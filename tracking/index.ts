// Entry point for the trainer and the operator.
import { credentialsFromEnv, type MlflowCredentials } from "./mlflow/auth.ts";
import { MlflowClient } from "./mlflow/client.ts";
import type { TransportOptions } from "./mlflow/http.ts";
import type { RunSpec, TrackingBackend } from "./backend.ts";
import { FileStoreBackend } from "./local-store.ts";
import { RestBackend } from "./rest-backend.ts";
import { RunTracker, type RunTrackerOptions } from "./tracker.ts";
import type { Logger } from "../api/contract/log.ts";

export * from "./names.ts";
export * from "./errors.ts";
export type { RunRef, RunSpec, TrackingBackend } from "./backend.ts";
export { credentialsFromEnv, credentialsFromSecretData, redact, type MlflowCredentials } from "./mlflow/auth.ts";
export { BATCH_LIMITS, chunkBatch, type LogBatch, type KeyValue, type Metric } from "./mlflow/batch.ts";
export { MlflowClient, type ArtifactEntry, type Experiment, type Run, type RunInfo } from "./mlflow/client.ts";
export { isTransient, MlflowError, type TransportOptions } from "./mlflow/http.ts";
export { mlflowRunUrl } from "./mlflow/url.ts";
export { FileStoreBackend } from "./local-store.ts";
export { RestBackend } from "./rest-backend.ts";
export { RunTracker, type RunTrackerOptions, type TestMetrics } from "./tracker.ts";
export { installExitHandlers } from "./exit-handlers.ts";

export interface BackendOptions {
  /** http(s):// -> MLflow REST; file:// or unset -> MLflow file store (default ./mlruns). */
  trackingUri?: string;
  credentials?: MlflowCredentials;
  localDir?: string;
  logger?: Logger;
  transport?: Partial<Omit<TransportOptions, "trackingUri" | "credentials">>;
}

export function createBackend(o: BackendOptions = {}): TrackingBackend {
  const uri = o.trackingUri?.trim();
  if (uri && /^https?:/i.test(uri)) {
    return new RestBackend(
      new MlflowClient({ ...(o.transport ?? {}), trackingUri: uri, credentials: o.credentials ?? {}, ...(o.logger ? { logger: o.logger } : {}) }),
    );
  }
  if (uri && !uri.startsWith("file:")) throw new Error(`unsupported MLflow tracking URI ${uri}: use http(s):// or file://`);
  return new FileStoreBackend(uri || o.localDir || "mlruns");
}

/** The trainer's tracker from MLFLOW_TRACKING_URI and MLFLOW_TRACKING_TOKEN / _USERNAME / _PASSWORD. */
export function createTrackerFromEnv(
  spec: RunSpec,
  o: RunTrackerOptions & { env?: Record<string, string | undefined>; localDir?: string } = {},
): RunTracker {
  const env = o.env ?? process.env;
  const backend = createBackend({
    ...(env.MLFLOW_TRACKING_URI ? { trackingUri: env.MLFLOW_TRACKING_URI } : {}),
    credentials: credentialsFromEnv(env),
    ...(o.localDir ? { localDir: o.localDir } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
  });
  // In a Job the operator has created the run already and says which (MLFLOW_RUN_ID): attach, never create another.
  const runId = spec.runId ?? env.MLFLOW_RUN_ID;
  return new RunTracker(backend, runId ? { ...spec, runId } : spec, o);
}
