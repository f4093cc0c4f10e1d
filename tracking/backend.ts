// What the RunTracker needs from a store. Two implementations: the MLflow REST API (rest-backend.ts)
// and MLflow's on-disk file store for runs without a tracking server (local-store.ts).
import type { LogBatch } from "./mlflow/batch.ts";
import type { RunStatus, TerminalStatus } from "./names.ts";

export interface RunSpec {
  experimentName: string;
  runName?: string;
  /** UID of the owning Kubernetes object: the same owner always gets the same run. */
  ownerUid?: string;
  /** An existing run to log into (e.g. created by the operator before the Job started). */
  runId?: string;
  tags?: Record<string, string>;
}

export interface RunRef {
  runId: string;
  experimentId: string;
  artifactUri: string;
  status: RunStatus;
  /** UI page of the run, when there is a UI to link to. */
  url?: string;
}

export interface TrackingBackend {
  readonly kind: "rest" | "file";
  /** Where the data goes, without secrets (for logs). */
  readonly location: string;
  /** Finds (by runId or ownerUid) or creates the run, and marks it RUNNING. */
  openRun(spec: RunSpec): Promise<RunRef>;
  /** Throws ParamConflictError, or BatchError saying what was not sent. */
  logBatch(run: RunRef, batch: LogBatch, o?: { verifyMetrics?: boolean }): Promise<void>;
  uploadArtifact(run: RunRef, artifactPath: string, localFile: string): Promise<void>;
  setStatus(run: RunRef, status: TerminalStatus, endTime: number): Promise<void>;
  close?(): Promise<void>;
}
