// Errors shared by both backends, so the tracker handles REST and file store alike.
import type { LogBatch } from "./mlflow/batch.ts";

export interface ParamConflict {
  key: string;
  oldValue: string;
  newValue: string;
}

/** MLflow params are immutable: the same value again is fine, another value is this error. */
export class ParamConflictError extends Error {
  override readonly name = "ParamConflictError";
  constructor(
    readonly runId: string,
    readonly conflicts: ParamConflict[],
  ) {
    super(
      `MLflow params are immutable; run ${runId} already has ` +
        conflicts.map((c) => `${c.key}=${JSON.stringify(c.oldValue)} (tried ${JSON.stringify(c.newValue)})`).join(", "),
    );
  }
}

/**
 * A log-batch that stopped part-way. `failed` is the request that failed, `rest` the requests never
 * tried; `mayHaveLanded` says whether `failed` may have been applied (check before resending metrics).
 */
export class BatchError extends Error {
  override readonly name = "BatchError";
  constructor(
    override readonly cause: Error,
    readonly failed: LogBatch,
    readonly rest: LogBatch,
    readonly mayHaveLanded: boolean,
    /** Worth retrying later (outage), as opposed to a request the server will always refuse. */
    readonly transient: boolean,
  ) {
    super(cause.message);
  }
}
