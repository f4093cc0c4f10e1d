// An in-memory TrackingBackend that can be switched off, for tracker tests.
import type { RunRef, RunSpec, TrackingBackend } from "../../../tracking/backend.ts";
import { BatchError, ParamConflictError } from "../../../tracking/errors.ts";
import { MlflowError } from "../../../tracking/mlflow/http.ts";
import type { LogBatch, Metric } from "../../../tracking/mlflow/batch.ts";
import type { TerminalStatus } from "../../../tracking/names.ts";

export class FakeBackend implements TrackingBackend {
  readonly kind = "rest" as const;
  readonly location = "http://fake";
  down = false;
  /** The next logBatch lands but reports an ambiguous failure (and the backend goes down). */
  loseNextAnswer = false;
  metrics: Metric[] = [];
  params = new Map<string, string>();
  tags = new Map<string, string>();
  artifacts: string[] = [];
  status: TerminalStatus | undefined;
  endTime: number | undefined;
  opens = 0;
  /** openRun calls refused while down. */
  failedOpens = 0;
  calls: { batch: LogBatch; verifyMetrics: boolean }[] = [];

  private unreachable(path: string) {
    return new MlflowError(`POST ${path} -> network error ECONNREFUSED`, { method: "POST", path, retryable: true, ambiguous: false, unreachable: true });
  }

  async openRun(_spec: RunSpec): Promise<RunRef> {
    if (this.down) {
      this.failedOpens++;
      throw this.unreachable("runs/create");
    }
    this.opens++;
    return { runId: "run1", experimentId: "1", artifactUri: "mlflow-artifacts:/1/run1/artifacts", status: "RUNNING", url: "http://fake/#/experiments/1/runs/run1" };
  }

  async logBatch(_run: RunRef, batch: LogBatch, o: { verifyMetrics?: boolean } = {}): Promise<void> {
    this.calls.push({ batch, verifyMetrics: o.verifyMetrics === true });
    if (this.down) throw new BatchError(this.unreachable("log-batch"), batch, {}, false, true);
    const conflicts = (batch.params ?? []).filter((p) => this.params.has(p.key) && this.params.get(p.key) !== p.value);
    if (conflicts.length) throw new ParamConflictError("run1", conflicts.map((p) => ({ key: p.key, oldValue: this.params.get(p.key)!, newValue: p.value })));
    let metrics = batch.metrics ?? [];
    if (o.verifyMetrics) metrics = metrics.filter((m) => !this.metrics.some((x) => x.key === m.key && x.step === m.step && x.timestamp === m.timestamp));
    this.metrics.push(...metrics);
    for (const p of batch.params ?? []) this.params.set(p.key, p.value);
    for (const t of batch.tags ?? []) this.tags.set(t.key, t.value);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      this.down = true;
      const e = new MlflowError("POST log-batch -> timeout", { method: "POST", path: "log-batch", retryable: true, ambiguous: true });
      throw new BatchError(e, batch, {}, true, true);
    }
  }

  async uploadArtifact(_run: RunRef, artifactPath: string): Promise<void> {
    if (this.down) throw this.unreachable("artifacts");
    this.artifacts.push(artifactPath);
  }

  async setStatus(_run: RunRef, status: TerminalStatus, endTime: number): Promise<void> {
    if (this.down) throw this.unreachable("runs/update");
    this.status = status;
    this.endTime = endTime;
  }
}
