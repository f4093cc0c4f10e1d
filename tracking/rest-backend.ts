// TrackingBackend over an MLflow tracking server.
import type { RunRef, RunSpec, TrackingBackend } from "./backend.ts";
import type { LogBatch } from "./mlflow/batch.ts";
import type { MlflowClient, Run } from "./mlflow/client.ts";
import type { TerminalStatus } from "./names.ts";

export class RestBackend implements TrackingBackend {
  readonly kind = "rest" as const;
  readonly location: string;

  constructor(readonly client: MlflowClient) {
    this.location = client.trackingUri;
  }

  async openRun(spec: RunSpec): Promise<RunRef> {
    let run: Run;
    if (spec.runId) {
      run = await this.client.getRun(spec.runId);
    } else {
      const exp = await this.client.getOrCreateExperiment(spec.experimentName);
      // run_name makes the server set the mlflow.runName tag the UI shows.
      const base = { experimentId: exp.experimentId, tags: spec.tags ?? {}, ...(spec.runName ? { runName: spec.runName } : {}) };
      run = spec.ownerUid
        ? (await this.client.getOrCreateRun({ ...base, ownerUid: spec.ownerUid })).run
        : await this.client.createRun(base);
    }
    // A run made ahead (operator) or left by a crashed earlier try is (re)marked RUNNING by its trainer.
    if (run.info.status !== "RUNNING") await this.client.updateRun(run.info.runId, { status: "RUNNING" });
    return {
      runId: run.info.runId,
      experimentId: run.info.experimentId,
      artifactUri: run.info.artifactUri,
      status: "RUNNING",
      url: this.client.runUrl(run.info.experimentId, run.info.runId),
    };
  }

  logBatch(run: RunRef, batch: LogBatch, o?: { verifyMetrics?: boolean }): Promise<void> {
    return this.client.logBatch(run.runId, batch, o);
  }

  uploadArtifact(run: RunRef, artifactPath: string, localFile: string): Promise<void> {
    return this.client.uploadArtifact(run, artifactPath, { file: localFile });
  }

  setStatus(run: RunRef, status: TerminalStatus, endTime: number): Promise<void> {
    return this.client.terminateRun(run.runId, status, endTime);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
