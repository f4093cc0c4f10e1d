// TrackingBackend writing MLflow's own file-store layout, so a run made without a tracking server is
// read by MLflow itself (`mlflow ui --backend-store-uri file:///abs/mlruns`; MLflow 3.7+ needs
// MLFLOW_ALLOW_FILE_STORE=true to open a file store):
//   <root>/<experiment_id>/meta.yaml
//   <root>/<experiment_id>/<run_id>/{meta.yaml, metrics/<key>, params/<key>, tags/<key>, artifacts/}
// Formats as mlflow/store/tracking/file_store.py writes them: metric lines "<timestamp> <value> <step>",
// params and tags as the bare value, status as MLflow's integer enum.
import { createHash, randomUUID } from "node:crypto";
import { appendFile, copyFile, mkdir, readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse, stringify } from "yaml";
import type { RunRef, RunSpec, TrackingBackend } from "./backend.ts";
import { BatchError, ParamConflictError, type ParamConflict } from "./errors.ts";
import { keyProblem, type LogBatch, type Metric } from "./mlflow/batch.ts";
import { OWNER_UID_TAG, RUN_NAME_TAG, type RunStatus, type TerminalStatus } from "./names.ts";

/** MLflow's RunStatus enum as stored in meta.yaml. */
export const RUN_STATUS_CODE: Record<RunStatus, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
const STATUS_BY_CODE = Object.fromEntries(Object.entries(RUN_STATUS_CODE).map(([k, v]) => [v, k])) as Record<number, RunStatus>;
const SOURCE_TYPE_LOCAL = 4;
// Experiment sub-folders that are not runs.
const RESERVED = new Set(["tags", "datasets", "traces", "models"]);

interface RunMeta {
  artifact_uri: string;
  end_time: number | null;
  entry_point_name: string;
  experiment_id: string;
  lifecycle_stage: string;
  run_id: string;
  run_name: string;
  source_name: string;
  source_type: number;
  source_version: string;
  start_time: number;
  status: number;
  tags: never[];
  user_id: string;
}

export class FileStoreBackend implements TrackingBackend {
  readonly kind = "file" as const;
  readonly root: string;
  readonly location: string;

  /** `root`: a directory or a file:// URI (MLflow's default is ./mlruns). */
  constructor(root = "mlruns") {
    this.root = root.startsWith("file:") ? fileURLToPath(root) : resolve(root);
    this.location = pathToFileURL(this.root).href;
  }

  async openRun(spec: RunSpec): Promise<RunRef> {
    await this.ensureRoot();
    if (spec.runId) {
      const dir = await this.findRunDir(spec.runId);
      if (!dir) throw new Error(`run ${spec.runId} not found in ${this.location}`);
      return this.reopen(dir);
    }
    const experimentId = await this.getOrCreateExperiment(spec.experimentName);
    if (spec.ownerUid) {
      for (const dir of await this.runDirs(experimentId)) {
        if ((await readText(join(dir, "tags", OWNER_UID_TAG))) === spec.ownerUid) return this.reopen(dir);
      }
    }
    const runId = randomUUID().replaceAll("-", "");
    const dir = join(this.root, experimentId, runId);
    for (const sub of ["metrics", "params", "tags", "artifacts"]) await mkdir(join(dir, sub), { recursive: true });
    const runName = spec.runName ?? runId;
    const meta: RunMeta = {
      artifact_uri: pathToFileURL(join(dir, "artifacts")).href,
      end_time: null,
      entry_point_name: "",
      experiment_id: experimentId,
      lifecycle_stage: "active",
      run_id: runId,
      run_name: runName,
      source_name: "",
      source_type: SOURCE_TYPE_LOCAL,
      source_version: "",
      start_time: Date.now(),
      status: RUN_STATUS_CODE.RUNNING,
      tags: [],
      user_id: currentUser(),
    };
    const tags: Record<string, string> = { ...(spec.tags ?? {}), [RUN_NAME_TAG]: runName };
    if (spec.ownerUid) tags[OWNER_UID_TAG] = spec.ownerUid;
    for (const [k, v] of Object.entries(tags)) await this.atomicWrite(join(dir, "tags", k), v);
    // meta.yaml last: MLflow skips a run folder without it, so a half-made run is never seen.
    await this.atomicWrite(join(dir, "meta.yaml"), stringify(meta));
    return this.ref(meta);
  }

  async logBatch(run: RunRef, batch: LogBatch): Promise<void> {
    const dir = join(this.root, run.experimentId, run.runId);
    for (const kv of [...(batch.params ?? []), ...(batch.tags ?? []), ...(batch.metrics ?? [])]) {
      const problem = keyProblem(kv.key);
      if (problem) throw new BatchError(new Error(`${kv.key}: ${problem}`), batch, {}, false, false);
    }
    // Check every param before writing any, so a conflict leaves the run untouched.
    const conflicts: ParamConflict[] = [];
    for (const p of batch.params ?? []) {
      const old = await readText(join(dir, "params", p.key));
      if (old !== undefined && old !== p.value) conflicts.push({ key: p.key, oldValue: old, newValue: p.value });
    }
    if (conflicts.length) throw new ParamConflictError(run.runId, conflicts);
    try {
      for (const p of batch.params ?? []) await this.atomicWrite(join(dir, "params", p.key), p.value);
      for (const t of batch.tags ?? []) await this.atomicWrite(join(dir, "tags", t.key), t.value);
    } catch (e) {
      throw new BatchError(e as Error, batch, {}, false, true);
    }
    const byKey = new Map<string, Metric[]>();
    for (const m of batch.metrics ?? []) byKey.set(m.key, [...(byKey.get(m.key) ?? []), m]);
    const done = new Set<string>();
    try {
      for (const [key, points] of byKey) {
        const file = join(dir, "metrics", key);
        await mkdir(dirname(file), { recursive: true });
        // One append per key: a line is "timestamp value step"; Python's float() reads NaN/Infinity.
        await appendFile(file, points.map((m) => `${m.timestamp} ${String(m.value)} ${m.step}\n`).join(""));
        done.add(key);
      }
    } catch (e) {
      const left = (batch.metrics ?? []).filter((m) => !done.has(m.key));
      throw new BatchError(e as Error, { metrics: left }, {}, false, true);
    }
  }

  async uploadArtifact(run: RunRef, artifactPath: string, localFile: string): Promise<void> {
    const rel = artifactPath.split("/").filter((s) => s !== "" && s !== ".");
    if (rel.length === 0 || rel.includes("..")) throw new Error(`bad artifact path ${JSON.stringify(artifactPath)}`);
    const dest = join(fileURLToPath(run.artifactUri), ...rel);
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(localFile, dest);
  }

  async setStatus(run: RunRef, status: TerminalStatus, endTime: number): Promise<void> {
    const file = join(this.root, run.experimentId, run.runId, "meta.yaml");
    const meta = parse(await readFile(file, "utf8")) as RunMeta;
    await this.atomicWrite(file, stringify({ ...meta, status: RUN_STATUS_CODE[status], end_time: endTime }));
  }

  /** The experiment's id, creating it (and the store itself) when missing. */
  async getOrCreateExperiment(name: string): Promise<string> {
    await this.ensureRoot();
    for (const id of await this.experimentIds()) {
      const meta = await readYaml<{ name?: string; lifecycle_stage?: string }>(join(this.root, id, "meta.yaml"));
      if (meta?.name === name && meta.lifecycle_stage !== "deleted") return id;
    }
    // The id comes from the name, so two processes creating the same experiment at once write one folder.
    let n = BigInt(`0x${createHash("sha256").update(name).digest("hex").slice(0, 15)}`) + 1n;
    for (;;) {
      const id = n.toString();
      const existing = await readYaml<{ name?: string }>(join(this.root, id, "meta.yaml"));
      if (!existing || existing.name === name) {
        await this.writeExperiment(id, name);
        return id;
      }
      n++;
    }
  }

  private async ensureRoot(): Promise<void> {
    const fresh = !(await exists(this.root));
    await mkdir(join(this.root, ".trash"), { recursive: true });
    // As MLflow does for a new store: the Default experiment 0.
    if (fresh) await this.writeExperiment("0", "Default");
  }

  /**
   * Readers (MLflow UI, another process) never see a half-written file. The temporary file sits in
   * .trash, where MLflow looks only at folders: one left by a crash is never read as a tag or metric.
   */
  private async atomicWrite(file: string, content: string): Promise<void> {
    await mkdir(dirname(file), { recursive: true });
    const tmp = join(this.root, ".trash", `.tmp-${process.pid}-${randomUUID()}`);
    await writeFile(tmp, content);
    await rename(tmp, file);
  }

  private async writeExperiment(id: string, name: string): Promise<void> {
    const now = Date.now();
    await mkdir(join(this.root, id), { recursive: true });
    await this.atomicWrite(
      join(this.root, id, "meta.yaml"),
      stringify({
        artifact_location: pathToFileURL(join(this.root, id)).href,
        creation_time: now,
        experiment_id: id,
        last_update_time: now,
        lifecycle_stage: "active",
        name,
      }),
    );
  }

  private async experimentIds(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith(".") && e.name !== "models").map((e) => e.name);
  }

  private async runDirs(experimentId: string): Promise<string[]> {
    const base = join(this.root, experimentId);
    const entries = await readdir(base, { withFileTypes: true });
    const dirs: string[] = [];
    for (const e of entries) {
      if (!e.isDirectory() || RESERVED.has(e.name)) continue;
      const meta = await readYaml<RunMeta>(join(base, e.name, "meta.yaml"));
      if (meta && meta.lifecycle_stage !== "deleted") dirs.push(join(base, e.name));
    }
    return dirs;
  }

  private async findRunDir(runId: string): Promise<string | undefined> {
    for (const id of await this.experimentIds()) {
      const dir = join(this.root, id, runId);
      if (await exists(join(dir, "meta.yaml"))) return dir;
    }
    return undefined;
  }

  private async reopen(dir: string): Promise<RunRef> {
    const file = join(dir, "meta.yaml");
    const meta = parse(await readFile(file, "utf8")) as RunMeta;
    if (meta.status !== RUN_STATUS_CODE.RUNNING) {
      meta.status = RUN_STATUS_CODE.RUNNING;
      meta.end_time = null;
      await this.atomicWrite(file, stringify(meta));
    }
    return this.ref(meta);
  }

  private ref(meta: RunMeta): RunRef {
    return {
      runId: meta.run_id,
      experimentId: String(meta.experiment_id),
      artifactUri: meta.artifact_uri,
      status: STATUS_BY_CODE[meta.status] ?? "RUNNING",
    };
  }
}


async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return undefined;
  }
}

async function readYaml<T>(file: string): Promise<T | undefined> {
  const t = await readText(file);
  return t === undefined ? undefined : (parse(t) as T);
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "";
  }
}
