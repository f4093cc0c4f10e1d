// MLflow REST client (API 2.0): idempotent run creation, chunked log-batch whose resends never
// duplicate a metric point, run status, tags, and artifacts through the server's mlflow-artifacts proxy.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { credentialsFromEnv } from "./auth.ts";
import { batchSize, chunkBatch, decodeValue, encodeMetric, mergeBatches, pointId, type LogBatch, type Metric } from "./batch.ts";
import { isTransient, MlflowError, MlflowTransport, type RequestSpec, type TransportOptions } from "./http.ts";
import { mlflowRunUrl } from "./url.ts";
import { BatchError, ParamConflictError } from "../errors.ts";
import { OWNER_UID_TAG, type RunStatus } from "../names.ts";

export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: string;
}

export interface RunInfo {
  runId: string;
  experimentId: string;
  runName: string;
  status: RunStatus;
  startTime: number;
  endTime?: number;
  artifactUri: string;
  lifecycleStage: string;
}

export interface Run {
  info: RunInfo;
  data: {
    /** Latest value of each metric. */
    metrics: Metric[];
    params: Record<string, string>;
    tags: Record<string, string>;
  };
}

export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  fileSize?: number;
}

export interface CreateRunSpec {
  experimentId: string;
  runName?: string;
  startTime?: number;
  tags?: Record<string, string>;
}

// Wire shapes (only the fields read).
type WireKV = { key: string; value: string };
type WireRun = {
  info: {
    run_id: string;
    experiment_id: string;
    run_name?: string;
    status: RunStatus;
    start_time?: number | string;
    end_time?: number | string;
    artifact_uri: string;
    lifecycle_stage: string;
  };
  data?: {
    metrics?: { key: string; value: number | string; timestamp: number | string; step?: number | string }[];
    params?: WireKV[];
    tags?: WireKV[];
  };
};
type WireExperiment = { experiment_id: string; name: string; artifact_location: string; lifecycle_stage: string };

const API = "/api/2.0/mlflow";
const ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts";

export class MlflowClient {
  readonly transport: MlflowTransport;
  readonly trackingUri: string;
  private readonly creating = new Map<string, Promise<{ run: Run; created: boolean }>>();
  private readonly settleMs: number;

  /** `settleMs`: wait after a run creation before checking for a racing creator (default 500). */
  constructor(o: (TransportOptions & { settleMs?: number }) | MlflowTransport) {
    this.transport = o instanceof MlflowTransport ? o : new MlflowTransport(o);
    this.settleMs = o instanceof MlflowTransport ? 500 : (o.settleMs ?? 500);
    this.trackingUri = this.transport.baseUrl;
  }

  /** MLFLOW_TRACKING_URI and the MLFLOW_TRACKING_* credentials; undefined when no URI is set. */
  static fromEnv(env: Record<string, string | undefined> = process.env, o: Partial<TransportOptions> = {}): MlflowClient | undefined {
    const uri = env.MLFLOW_TRACKING_URI;
    if (!uri || !/^https?:/i.test(uri)) return undefined;
    return new MlflowClient({ ...o, trackingUri: uri, credentials: o.credentials ?? credentialsFromEnv(env) });
  }

  runUrl(experimentId: string, runId: string): string {
    return mlflowRunUrl(this.trackingUri, experimentId, runId);
  }

  // ---- experiments

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const r = await this.transport.call<{ experiment: WireExperiment }>({
        method: "GET",
        path: `${API}/experiments/get-by-name`,
        query: { experiment_name: name },
      });
      return toExperiment(r.experiment);
    } catch (e) {
      if (e instanceof MlflowError && e.errorCode === "RESOURCE_DOES_NOT_EXIST") return undefined;
      throw e;
    }
  }

  /** Create, or get when it exists (also when another process created it a moment ago). */
  async getOrCreateExperiment(name: string, o: { artifactLocation?: string; tags?: Record<string, string> } = {}): Promise<Experiment> {
    const found = await this.getExperimentByName(name);
    if (found) return found;
    try {
      await this.transport.call({
        method: "POST",
        path: `${API}/experiments/create`,
        json: { name, artifact_location: o.artifactLocation, tags: toWireKV(o.tags) },
      });
    } catch (e) {
      if (!(e instanceof MlflowError && e.errorCode === "RESOURCE_ALREADY_EXISTS")) throw e;
    }
    const exp = await this.getExperimentByName(name);
    if (!exp) throw new Error(`MLflow experiment ${JSON.stringify(name)} was created but cannot be read back`);
    return exp;
  }

  // ---- runs

  async getRun(runId: string): Promise<Run> {
    const r = await this.transport.call<{ run: WireRun }>({ method: "GET", path: `${API}/runs/get`, query: { run_id: runId } });
    return toRun(r.run);
  }

  /** Active runs of an experiment carrying tag key=value, oldest first. */
  async searchRunsByTag(experimentId: string, key: string, value: string, o: SingleTry = {}): Promise<Run[]> {
    if (value.includes("'") || key.includes("`")) throw new Error(`cannot search MLflow for tag ${key}=${value}: quote characters`);
    const runs: Run[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.send<{ runs?: WireRun[]; next_page_token?: string }>(o, {
        method: "POST",
        path: `${API}/runs/search`,
        json: {
          experiment_ids: [experimentId],
          filter: `tags.\`${key}\` = '${value}'`,
          run_view_type: "ACTIVE_ONLY",
          max_results: 1000,
          page_token: pageToken,
        },
      });
      runs.push(...(r.runs ?? []).map(toRun));
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return runs.sort(oldestFirst);
  }

  /** Plain runs/create: not idempotent, prefer getOrCreateRun. */
  async createRun(spec: CreateRunSpec): Promise<Run> {
    const r = await this.transport.call<{ run: WireRun }>({
      method: "POST",
      path: `${API}/runs/create`,
      json: {
        experiment_id: spec.experimentId,
        run_name: spec.runName,
        start_time: spec.startTime ?? Date.now(),
        tags: toWireKV(spec.tags),
      },
    });
    return toRun(r.run);
  }

  /**
   * The run owned by `ownerUid` (a Kubernetes object's UID), created when there is none. The owner tag
   * is set in runs/create itself, so no run ever exists without it. MLflow has no unique constraint to
   * lean on, so racing creators converge instead: calls in this process share one creation, and across
   * processes every creator re-reads the runs after a short settle time and keeps the oldest
   * (start_time, then run_id), the others deleting their own.
   */
  getOrCreateRun(spec: CreateRunSpec & { ownerUid: string }): Promise<{ run: Run; created: boolean }> {
    const key = `${spec.experimentId}\u0000${spec.ownerUid}`;
    let p = this.creating.get(key);
    if (!p) {
      p = this.createOwnedRun(spec).finally(() => this.creating.delete(key));
      this.creating.set(key, p);
      return p;
    }
    return p.then((r) => ({ run: r.run, created: false }));
  }

  private async createOwnedRun(spec: CreateRunSpec & { ownerUid: string }): Promise<{ run: Run; created: boolean }> {
    const existing = await this.searchRunsByTag(spec.experimentId, OWNER_UID_TAG, spec.ownerUid);
    if (existing[0]) return { run: existing[0], created: false };
    const tags = { ...(spec.tags ?? {}), [OWNER_UID_TAG]: spec.ownerUid };
    // A create whose answer was lost may have made the run: look before creating again.
    const mine = await this.transport.retrying(async (_n, prev) => {
      if (prev?.info.ambiguous) {
        const found = await this.searchRunsByTag(spec.experimentId, OWNER_UID_TAG, spec.ownerUid, { singleTry: true });
        if (found[0]) return found[0];
      }
      const r = await this.transport.once<{ run: WireRun }>({
        method: "POST",
        path: `${API}/runs/create`,
        json: { experiment_id: spec.experimentId, run_name: spec.runName, start_time: spec.startTime ?? Date.now(), tags: toWireKV(tags) },
      });
      return toRun(r.run);
    });
    // Let a racer's create that was in flight land, so every racer judges the same set of runs.
    await new Promise((r) => setTimeout(r, this.settleMs));
    const all = await this.searchRunsByTag(spec.experimentId, OWNER_UID_TAG, spec.ownerUid);
    const winner = all[0] ?? mine;
    if (winner.info.runId !== mine.info.runId) {
      await this.deleteRun(mine.info.runId).catch(() => undefined);
      return { run: winner, created: false };
    }
    return { run: mine, created: true };
  }

  async updateRun(runId: string, u: { status?: RunStatus; endTime?: number; runName?: string }): Promise<void> {
    await this.transport.call({
      method: "POST",
      path: `${API}/runs/update`,
      json: { run_id: runId, status: u.status, end_time: u.endTime, run_name: u.runName },
    });
  }

  /** FINISHED / FAILED / KILLED with end_time. */
  async terminateRun(runId: string, status: "FINISHED" | "FAILED" | "KILLED", endTime = Date.now()): Promise<void> {
    await this.updateRun(runId, { status, endTime });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.transport.call({ method: "POST", path: `${API}/runs/set-tag`, json: { run_id: runId, key, value } });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.transport.call({ method: "POST", path: `${API}/runs/delete`, json: { run_id: runId } });
  }

  // ---- logging

  async getMetricHistory(runId: string, key: string, o: SingleTry = {}): Promise<Metric[]> {
    const out: Metric[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.send<{
        metrics?: { key: string; value: number | string; timestamp: number | string; step?: number | string }[];
        next_page_token?: string;
      }>(o, {
        method: "GET",
        path: `${API}/metrics/get-history`,
        query: { run_id: runId, metric_key: key, max_results: 25_000, page_token: pageToken },
      });
      out.push(...(r.metrics ?? []).map(toMetric));
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return out;
  }

  /** The points of `metrics` that the server does not have yet. */
  async missingMetrics(runId: string, metrics: Metric[]): Promise<Metric[]> {
    const have = new Set<string>();
    for (const key of new Set(metrics.map((m) => m.key))) {
      // Single tries: this runs inside the caller's retry loop, which retries it as a whole.
      for (const m of await this.getMetricHistory(runId, key, { singleTry: true })) have.add(pointId(m));
    }
    return metrics.filter((m) => !have.has(pointId(m)));
  }

  /**
   * runs/log-batch, split into requests within MLflow's limits. Params and tags are idempotent;
   * metrics append, so after an answer-less failure (timeout, dropped connection, 5xx) the chunk's
   * points are checked against the server's history and only the missing ones are sent again.
   * `verifyMetrics` asks for that check before the first send (the caller's previous try was ambiguous).
   * Throws ParamConflictError, or BatchError saying what was and was not sent.
   */
  async logBatch(runId: string, batch: LogBatch, o: { verifyMetrics?: boolean } = {}): Promise<void> {
    const chunks = chunkBatch(batch);
    for (let i = 0; i < chunks.length; i++) {
      let chunk = chunks[i]!;
      // Chunk boundaries may differ from the earlier try's, so every chunk is checked.
      let mayHaveLanded = o.verifyMetrics === true;
      try {
        await this.transport.retrying(async (_n, prev) => {
          if (prev?.info.ambiguous) mayHaveLanded = true;
          if (mayHaveLanded && chunk.metrics?.length) {
            chunk = { ...chunk, metrics: await this.missingMetrics(runId, chunk.metrics) };
            if (batchSize(chunk) === 0) return;
          }
          await this.transport.once({
            method: "POST",
            path: `${API}/runs/log-batch`,
            json: { run_id: runId, metrics: (chunk.metrics ?? []).map(encodeMetric), params: chunk.params ?? [], tags: chunk.tags ?? [] },
          });
        });
      } catch (e) {
        const err = e as Error;
        if (e instanceof MlflowError && isParamChange(e) && chunk.params?.length) {
          throw await this.paramConflict(runId, chunk, err);
        }
        const landed = mayHaveLanded || (e instanceof MlflowError && e.info.ambiguous);
        throw new BatchError(err, chunk, mergeBatches(...chunks.slice(i + 1)), landed, isTransient(e));
      }
    }
  }

  private async paramConflict(runId: string, chunk: LogBatch, cause: Error): Promise<Error> {
    try {
      const run = await this.getRun(runId);
      const conflicts = (chunk.params ?? [])
        .filter((p) => run.data.params[p.key] !== undefined && run.data.params[p.key] !== p.value)
        .map((p) => ({ key: p.key, oldValue: run.data.params[p.key]!, newValue: p.value }));
      if (conflicts.length) return new ParamConflictError(runId, conflicts);
    } catch {
      /* fall through to the server's own message */
    }
    return cause;
  }

  // ---- artifacts

  /**
   * Uploads through the tracking server's artifact proxy (`mlflow server --serve-artifacts`):
   * PUT /api/2.0/mlflow-artifacts/artifacts/<experiment_id>/<run_id>/artifacts/<path>.
   * PUT overwrites, so retries are safe. `content` is bytes or `{ file }` (streamed, read again per try).
   */
  async uploadArtifact(run: Pick<RunInfo, "artifactUri">, artifactPath: string, content: Uint8Array | string | { file: string }): Promise<void> {
    const root = proxiedArtifactRoot(run.artifactUri);
    const rel = artifactPath.split("/").filter((s) => s !== "" && s !== ".");
    if (rel.length === 0 || rel.includes("..")) throw new Error(`bad artifact path ${JSON.stringify(artifactPath)}`);
    const path = `${ARTIFACTS_API}/${[...root.split("/"), ...rel].map(encodeURIComponent).join("/")}`;
    if (typeof content === "object" && "file" in content) {
      const file = content.file;
      const { size } = await stat(file); // a missing file is the caller's error, not something to retry
      // The per-attempt timeout covers the whole upload: allow for a slow link (1 MB/s) on big files.
      const timeoutMs = 30_000 + Math.ceil(size / 1_000);
      await this.transport.call({ method: "PUT", path, body: () => createReadStream(file), timeoutMs });
    } else {
      await this.transport.call({ method: "PUT", path, body: () => (typeof content === "string" ? content : Buffer.from(content)) });
    }
  }

  async listArtifacts(runId: string, path?: string): Promise<ArtifactEntry[]> {
    const r = await this.transport.call<{ files?: { path: string; is_dir: boolean; file_size?: number | string }[] }>({
      method: "GET",
      path: `${API}/artifacts/list`,
      query: { run_id: runId, path },
    });
    return (r.files ?? []).map((f) => ({
      path: f.path,
      isDir: f.is_dir,
      ...(f.file_size !== undefined ? { fileSize: Number(f.file_size) } : {}),
    }));
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private send<T>(o: SingleTry, spec: RequestSpec): Promise<T> {
    return o.singleTry ? this.transport.once<T>(spec) : this.transport.call<T>(spec);
  }
}

/** For calls made inside another call's retry loop, where nested retries would multiply. */
export interface SingleTry {
  singleTry?: boolean;
}

/** `mlflow-artifacts:/1/<run>/artifacts` (or with a host) -> `1/<run>/artifacts`. */
export function proxiedArtifactRoot(artifactUri: string): string {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  if (!m) {
    throw new Error(
      `run artifact_uri ${artifactUri} is not served by the tracking server; start mlflow server with --serve-artifacts and a mlflow-artifacts:/ default artifact root`,
    );
  }
  return m[1]!.replace(/\/+$/, "");
}

function isParamChange(e: MlflowError): boolean {
  return e.errorCode === "INVALID_PARAMETER_VALUE" && /param/i.test(e.message) && /chang|already logged/i.test(e.message);
}


function toWireKV(r: Record<string, string> | undefined): WireKV[] | undefined {
  return r ? Object.entries(r).map(([key, value]) => ({ key, value })) : undefined;
}

function toExperiment(e: WireExperiment): Experiment {
  return { experimentId: e.experiment_id, name: e.name, artifactLocation: e.artifact_location, lifecycleStage: e.lifecycle_stage };
}

function toMetric(m: { key: string; value: number | string; timestamp: number | string; step?: number | string }): Metric {
  return { key: m.key, value: decodeValue(m.value), timestamp: Number(m.timestamp), step: Number(m.step ?? 0) };
}

function toRun(r: WireRun): Run {
  const kv = (l: WireKV[] | undefined) => Object.fromEntries((l ?? []).map((t) => [t.key, t.value]));
  const i = r.info;
  return {
    info: {
      runId: i.run_id,
      experimentId: i.experiment_id,
      runName: i.run_name ?? "",
      status: i.status,
      startTime: Number(i.start_time ?? 0),
      ...(i.end_time !== undefined && i.end_time !== null ? { endTime: Number(i.end_time) } : {}),
      artifactUri: i.artifact_uri,
      lifecycleStage: i.lifecycle_stage,
    },
    data: { metrics: (r.data?.metrics ?? []).map(toMetric), params: kv(r.data?.params), tags: kv(r.data?.tags) },
  };
}

function oldestFirst(a: Run, b: Run): number {
  return a.info.startTime - b.info.startTime || (a.info.runId < b.info.runId ? -1 : a.info.runId > b.info.runId ? 1 : 0);
}
