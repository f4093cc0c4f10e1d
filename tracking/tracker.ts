// RunTracker: what the trainer calls. Tracking must never stop training: log calls are synchronous,
// never throw, and only buffer; a background flush sends the buffer. While the store is unreachable
// points stay buffered (one warning per outage), the run itself is created late if need be, and
// finish() always tries to flush and set the final status before its deadline.
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { RunRef, RunSpec, TrackingBackend } from "./backend.ts";
import { BatchError, ParamConflictError, type ParamConflict } from "./errors.ts";
import type { Logger } from "../api/contract/log.ts";
import { consoleLogger } from "./log.ts";
import { batchSize, keyProblem, MAX_PARAM_VALUE_LENGTH, MAX_TAG_VALUE_LENGTH, mergeBatches, type LogBatch, type Metric } from "./mlflow/batch.ts";
import { isTransient } from "./mlflow/http.ts";
import { CONFUSION_METRIC, TEST_METRIC, validationMetricName, type TerminalStatus } from "./names.ts";

export type ParamValue = string | number | boolean | bigint | null | undefined | object;

export interface RunTrackerOptions {
  logger?: Logger;
  /** First pause before a retry after a failed flush; doubles up to maxRetryIntervalMs. */
  retryIntervalMs?: number;
  maxRetryIntervalMs?: number;
  /** How long finish() keeps trying to flush and set the status. */
  finishTimeoutMs?: number;
  /** Past this many buffered points the oldest are dropped (a long outage must not exhaust memory). */
  maxBufferedPoints?: number;
  now?: () => number;
}

export interface TestMetrics {
  auroc?: number;
  accuracy?: number;
  precision?: number;
  recall?: number;
  f1?: number;
  tp?: number;
  tn?: number;
  fp?: number;
  fn?: number;
}

interface PendingArtifact {
  local: string;
  path: string;
}

export class RunTracker {
  private run: RunRef | undefined;
  private params = new Map<string, string>();
  private tags = new Map<string, string>();
  private metrics: Metric[] = [];
  private artifacts: PendingArtifact[] = [];
  /** Params accepted so far: a repeat with the same value is a no-op, another value a conflict. */
  private readonly accepted = new Map<string, string>();
  /** The last failed send may have landed: check history before resending its metrics. */
  private verifyNext = false;
  private inflight: Promise<void> | undefined;
  /** The batch being sent right now (taken out of the buffer). */
  private sending: LogBatch | undefined;
  private offlineSince: number | undefined;
  private retryDelay: number;
  /**
   * The pending retry during an outage. While it is set, log calls only buffer; when it fires, it retries
   * unconditionally. (It once re-checked Date.now() against a due time: on a loaded machine a timer can fire
   * before Date.now() reaches it, the retry was refused, and none was ever scheduled again.)
   */
  private retryTimer: NodeJS.Timeout | undefined;
  private finishing: Promise<boolean> | undefined;
  private done = false;
  /** The run cannot be opened at all (refused, not unreachable): nothing will be sent. */
  private fatal: Error | undefined;
  private warnedAfterFinish = false;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly o: Required<Omit<RunTrackerOptions, "logger" | "now">>;

  /** Param values refused because the run already had another value. */
  readonly conflicts: ParamConflict[] = [];
  /** Points and items given up (invalid, refused by the server, or over the buffer limit). */
  dropped = 0;

  constructor(
    readonly backend: TrackingBackend,
    readonly spec: RunSpec,
    o: RunTrackerOptions = {},
  ) {
    this.log = o.logger ?? consoleLogger;
    this.now = o.now ?? Date.now;
    this.o = {
      retryIntervalMs: o.retryIntervalMs ?? 5_000,
      maxRetryIntervalMs: o.maxRetryIntervalMs ?? 120_000,
      finishTimeoutMs: o.finishTimeoutMs ?? 120_000,
      maxBufferedPoints: o.maxBufferedPoints ?? 1_000_000,
    };
    this.retryDelay = this.o.retryIntervalMs;
  }

  get runId(): string | undefined {
    return this.run?.runId;
  }
  get experimentId(): string | undefined {
    return this.run?.experimentId;
  }
  get url(): string | undefined {
    return this.run?.url;
  }
  get offline(): boolean {
    return this.offlineSince !== undefined;
  }
  get finished(): boolean {
    return this.done;
  }
  /** Items not yet confirmed by the store (buffered or being sent). */
  get pending(): { metrics: number; params: number; tags: number; artifacts: number } {
    const s = this.sending;
    return {
      metrics: this.metrics.length + (s?.metrics?.length ?? 0),
      params: this.params.size + (s?.params?.length ?? 0),
      tags: this.tags.size + (s?.tags?.length ?? 0),
      artifacts: this.artifacts.length,
    };
  }

  /**
   * Opens (or creates) the run in the background. Awaiting it is optional: it resolves to whether the
   * run is open, and never rejects.
   */
  async start(): Promise<boolean> {
    this.kick(true);
    await this.inflight;
    return this.run !== undefined;
  }

  logParams(params: Record<string, ParamValue>): void {
    if (this.ignoredAfterFinish()) return;
    for (const [key, raw] of Object.entries(params)) {
      if (raw === undefined) continue;
      const value = typeof raw === "object" && raw !== null ? JSON.stringify(raw) : String(raw);
      if (!this.validKey(key) || !this.validValue(key, value, MAX_PARAM_VALUE_LENGTH)) continue;
      const old = this.accepted.get(key);
      if (old === value) continue;
      if (old !== undefined) {
        this.conflict({ key, oldValue: old, newValue: value });
        continue;
      }
      this.accepted.set(key, value);
      this.params.set(key, value);
    }
    this.kick();
  }

  logMetric(key: string, value: number, step = 0): void {
    this.logMetrics({ [key]: value }, step);
  }

  logMetrics(metrics: Record<string, number | undefined>, step = 0): void {
    if (this.ignoredAfterFinish()) return;
    const timestamp = this.now();
    for (const [key, value] of Object.entries(metrics)) {
      if (value === undefined || !this.validKey(key)) continue;
      if (typeof value !== "number") {
        this.reject(`metric ${key}: not a number (${typeof value})`);
        continue;
      }
      this.metrics.push({ key, value, timestamp, step: Math.trunc(step) });
    }
    this.capBuffer();
    this.kick();
  }

  /** Per-epoch metrics (train_loss, val_loss, val_auroc, ...) with step = epoch. */
  logEpoch(epoch: number, metrics: Record<string, number | undefined>): void {
    this.logMetrics(metrics, epoch);
  }

  /** test_auroc ... test_f1 and the confusion counts tp/tn/fp/fn. */
  logTestMetrics(m: TestMetrics, step = 0): void {
    const out: Record<string, number | undefined> = {};
    for (const [k, name] of Object.entries(TEST_METRIC)) out[name] = m[k as keyof typeof TEST_METRIC];
    for (const [k, name] of Object.entries(CONFUSION_METRIC)) out[name] = m[k as keyof typeof CONFUSION_METRIC];
    this.logMetrics(out, step);
  }

  /** Prediction checks as validation_<name> = 1 (passed) or 0 (failed). */
  logPredictionChecks(checks: Record<string, boolean>, step = 0): void {
    const out: Record<string, number> = {};
    for (const [name, passed] of Object.entries(checks)) out[validationMetricName(name)] = passed ? 1 : 0;
    this.logMetrics(out, step);
  }

  setTag(key: string, value: string): void {
    this.setTags({ [key]: value });
  }

  setTags(tags: Record<string, string>): void {
    if (this.ignoredAfterFinish()) return;
    for (const [key, value] of Object.entries(tags)) {
      if (this.validKey(key) && this.validValue(key, String(value), MAX_TAG_VALUE_LENGTH)) this.tags.set(key, String(value));
    }
    this.kick();
  }

  /** A file, or a directory (uploaded file by file), under `artifactPath` (default: its base name). */
  logArtifact(localPath: string, artifactPath = basename(localPath)): void {
    if (this.ignoredAfterFinish()) return;
    this.artifacts.push({ local: localPath, path: artifactPath });
    this.kick();
  }

  /** Sends everything buffered now, ignoring any retry pause. Resolves true when nothing is left; never rejects. */
  async flush(): Promise<boolean> {
    if (this.inflight) await this.inflight;
    if (this.hasWork()) {
      this.kick(true);
      await this.inflight;
    }
    return !this.hasWork();
  }

  /**
   * Flushes and sets the final status (with end_time = now), retrying until `timeoutMs`. Idempotent:
   * later calls get the first call's result. Resolves true when every point landed and the status was set.
   */
  finish(status: TerminalStatus = "FINISHED", o: { timeoutMs?: number } = {}): Promise<boolean> {
    this.finishing ??= this.doFinish(status, o.timeoutMs ?? this.o.finishTimeoutMs);
    return this.finishing;
  }

  private async doFinish(status: TerminalStatus, timeoutMs: number): Promise<boolean> {
    const endTime = this.now();
    const deadline = Date.now() + timeoutMs;
    this.cancelRetry();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), timeoutMs);
    });
    const attempt = async (): Promise<boolean> => {
      while (Date.now() < deadline && !this.fatal) {
        if (await this.flush()) {
          try {
            await this.backend.setStatus(this.run!, status, endTime);
            return true;
          } catch (e) {
            if (!isTransient(e)) {
              this.log.error(`mlflow: server refused status ${status}: ${(e as Error).message}`);
              return false;
            }
            this.goOffline(e);
          }
        }
        await new Promise((r) => setTimeout(r, Math.max(0, Math.min(this.retryDelay, deadline - Date.now()))));
      }
      return false;
    };
    const ok = await Promise.race([attempt(), timedOut]);
    clearTimeout(timer);
    this.done = true;
    if (ok) {
      // debug: the caller has finish()'s answer and says it once, in its own words (`memeops run` printed it twice)
      this.log.debug?.(`mlflow: run ${this.run?.runId} ${status}${this.dropped ? ` (${this.dropped} items dropped)` : ""}`);
    } else {
      const p = this.pending;
      this.log.error(
        `mlflow: could not reach ${this.backend.location} within ${timeoutMs} ms; run ${this.run?.runId ?? "(never created)"} ` +
          `not marked ${status}; lost ${p.metrics} metric points, ${p.params} params, ${p.tags} tags, ${p.artifacts} artifacts`,
      );
    }
    return ok;
  }

  // ---- background sending

  private hasWork(): boolean {
    if (this.fatal) return false;
    return !this.run || this.metrics.length + this.params.size + this.tags.size + this.artifacts.length > 0;
  }

  private kick(force = false): void {
    if (this.inflight || this.done) return;
    if (!force && this.retryTimer) return;
    this.inflight = this.drain().finally(() => {
      this.inflight = undefined;
      // Points logged while the last send was finishing.
      if (!this.offline && this.run && this.hasWork() && !this.done) this.kick();
    });
  }

  private async drain(): Promise<void> {
    if (this.fatal) return;
    try {
      if (!this.run) {
        try {
          this.run = await this.backend.openRun(this.spec);
        } catch (e) {
          if (isTransient(e)) throw e;
          this.fatal = e as Error;
          this.log.error(`mlflow: cannot open the run, tracking is off for this run: ${this.fatal.message}`);
          return;
        }
      }
      for (let round = 0; round < 100 && this.hasWork(); round++) {
        const batch = this.take();
        if (batchSize(batch) > 0) {
          try {
            this.sending = batch;
            await this.backend.logBatch(this.run, batch, { verifyMetrics: this.verifyNext });
            this.verifyNext = false;
          } catch (e) {
            this.sending = undefined;
            if (e instanceof ParamConflictError) {
              for (const c of e.conflicts) {
                this.conflict(c);
                this.accepted.set(c.key, c.oldValue); // the run's value is the one that stays
              }
              const bad = new Set(e.conflicts.map((c) => c.key));
              this.restore({ ...batch, params: (batch.params ?? []).filter((p) => !bad.has(p.key)) });
              continue;
            }
            if (e instanceof BatchError && !e.transient) {
              // The server will refuse this request every time: give it up, keep the rest.
              this.dropped += batchSize(e.failed);
              this.log.error(`mlflow: dropped ${batchSize(e.failed)} items the server refused: ${e.message}`);
              this.restore(e.rest);
              continue;
            }
            if (e instanceof BatchError) {
              this.restore(mergeBatches(e.failed, e.rest));
              // Sticky until a send succeeds: an earlier answer-less try may still be unchecked.
              this.verifyNext ||= e.mayHaveLanded;
            } else {
              this.restore(batch);
              this.verifyNext = true;
            }
            throw e;
          } finally {
            this.sending = undefined;
          }
        }
        await this.uploadArtifacts(this.run);
      }
      this.online();
    } catch (e) {
      this.goOffline(e);
    }
  }

  private async uploadArtifacts(run: RunRef): Promise<void> {
    while (this.artifacts.length > 0) {
      const a = this.artifacts[0]!;
      let info;
      try {
        info = await stat(a.local);
      } catch {
        this.artifacts.shift();
        this.reject(`artifact ${a.local}: no such file`);
        continue;
      }
      if (info.isDirectory()) {
        const entries = await readdir(a.local);
        this.artifacts.splice(0, 1, ...entries.map((n) => ({ local: join(a.local, n), path: `${a.path}/${n}` })));
        continue;
      }
      try {
        await this.backend.uploadArtifact(run, a.path, a.local);
      } catch (e) {
        if (isTransient(e)) throw e;
        this.reject(`artifact ${a.path}: ${(e as Error).message}`);
      }
      this.artifacts.shift();
    }
  }

  private take(): LogBatch {
    const b: LogBatch = {
      params: [...this.params].map(([key, value]) => ({ key, value })),
      tags: [...this.tags].map(([key, value]) => ({ key, value })),
      metrics: this.metrics,
    };
    this.params = new Map();
    this.tags = new Map();
    this.metrics = [];
    return b;
  }

  /** Puts unsent items back in front of anything logged since; a newer tag value wins. */
  private restore(b: LogBatch): void {
    this.metrics = [...(b.metrics ?? []), ...this.metrics];
    const params = new Map((b.params ?? []).map((p) => [p.key, p.value]));
    for (const [k, v] of this.params) params.set(k, v);
    this.params = params;
    const tags = new Map((b.tags ?? []).map((t) => [t.key, t.value]));
    for (const [k, v] of this.tags) tags.set(k, v);
    this.tags = tags;
    this.capBuffer();
  }

  private goOffline(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    if (this.offlineSince === undefined) {
      this.offlineSince = this.now();
      const p = this.pending;
      // The one warning of this outage; the next is logged only after tracking recovered.
      this.log.warn(
        `mlflow: cannot reach ${this.backend.location} (${msg}); training goes on, ` +
          `${p.metrics} metric points and ${p.params + p.tags} params/tags are buffered and will be sent when it is back`,
      );
    } else {
      this.log.debug?.(`mlflow: still unreachable: ${msg}`);
    }
    if (!this.done && !this.finishing) {
      this.cancelRetry();
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.kick(true);
      }, this.retryDelay);
      this.retryTimer.unref();
    }
    this.retryDelay = Math.min(this.retryDelay * 2, this.o.maxRetryIntervalMs);
  }

  private cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private online(): void {
    if (this.offlineSince !== undefined) {
      this.log.info(`mlflow: ${this.backend.location} reachable again after ${Math.round((this.now() - this.offlineSince) / 1000)} s; buffered data sent`);
    }
    this.offlineSince = undefined;
    this.cancelRetry();
    this.retryDelay = this.o.retryIntervalMs;
  }

  // ---- validation

  private capBuffer(): void {
    const over = this.metrics.length - this.o.maxBufferedPoints;
    if (over > 0) {
      this.metrics.splice(0, over);
      this.dropped += over;
      this.log.error(`mlflow: buffer full (${this.o.maxBufferedPoints} points): dropped the ${over} oldest`);
    }
  }

  private validKey(key: string): boolean {
    const problem = keyProblem(key);
    if (problem) this.reject(`${JSON.stringify(key)}: ${problem}`);
    return !problem;
  }

  private validValue(key: string, value: string, max: number): boolean {
    if (value.length <= max) return true;
    this.reject(`${key}: value of ${value.length} characters is over MLflow's ${max}`);
    return false;
  }

  private reject(why: string): void {
    this.dropped++;
    this.log.error(`mlflow: not logged: ${why}`);
  }

  private conflict(c: ParamConflict): void {
    this.conflicts.push(c);
    this.dropped++;
    this.log.error(`mlflow: ${new ParamConflictError(this.run?.runId ?? "(pending)", [c]).message}`);
  }

  private ignoredAfterFinish(): boolean {
    if (!this.done) return false;
    if (!this.warnedAfterFinish) this.log.warn("mlflow: run already finished; later logging is ignored");
    this.warnedAfterFinish = true;
    return true;
  }
}
