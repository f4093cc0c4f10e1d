// The file store's on-disk format (what MLflow's FileStore parses); the mlflow project reads it with real MLflow.
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { parse } from "yaml";
import { FileStoreBackend } from "../../../tracking/local-store.ts";
import { ParamConflictError } from "../../../tracking/errors.ts";
import { createBackend } from "../../../tracking/index.ts";
import { mlflowRunUrl } from "../../../tracking/mlflow/url.ts";

async function store() {
  const dir = await mkdtemp(join(tmpdir(), "memeops-fs-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const root = join(dir, "mlruns");
  return { root, b: new FileStoreBackend(root) };
}

describe("FileStoreBackend", () => {
  it("writes MLflow's layout and formats", async () => {
    const { root, b } = await store();
    const run = await b.openRun({ experimentName: "exp", runName: "r1", ownerUid: "u1", tags: { team: "x" } });
    await b.logBatch(run, {
      params: [{ key: "lr", value: "0.001" }],
      tags: [{ key: "note", value: "hi" }],
      metrics: [
        { key: "loss", value: 0.5, timestamp: 1000, step: 0 },
        { key: "loss", value: Number.NaN, timestamp: 1001, step: 1 },
        { key: "nested/key", value: 1e-7, timestamp: 1002, step: 2 },
      ],
    });
    await b.setStatus(run, "FAILED", 2000);
    const dir = join(root, run.experimentId, run.runId);
    expect(await readFile(join(dir, "metrics", "loss"), "utf8")).toBe("1000 0.5 0\n1001 NaN 1\n");
    expect(await readFile(join(dir, "metrics", "nested", "key"), "utf8")).toBe("1002 1e-7 2\n");
    expect(await readFile(join(dir, "params", "lr"), "utf8")).toBe("0.001");
    expect(await readFile(join(dir, "tags", "memeops.io", "owner-uid"), "utf8")).toBe("u1");
    expect(await readFile(join(dir, "tags", "mlflow.runName"), "utf8")).toBe("r1");
    const meta = parse(await readFile(join(dir, "meta.yaml"), "utf8"));
    expect(meta).toMatchObject({ run_id: run.runId, experiment_id: run.experimentId, status: 4, end_time: 2000, lifecycle_stage: "active", run_name: "r1" });
    expect(typeof meta.experiment_id).toBe("string");
    expect(parse(await readFile(join(root, "0", "meta.yaml"), "utf8"))).toMatchObject({ name: "Default", experiment_id: "0" });
    expect(parse(await readFile(join(root, run.experimentId, "meta.yaml"), "utf8"))).toMatchObject({ name: "exp", lifecycle_stage: "active" });
    expect((await readdir(join(root, ".trash"))).filter((n) => !n.startsWith(".tmp"))).toEqual([]);
  });

  it("reopens the run of the same owner (as RUNNING again) and keeps experiments apart by name", async () => {
    const { b } = await store();
    const a = await b.openRun({ experimentName: "exp", ownerUid: "u1" });
    await b.setStatus(a, "FAILED", 1);
    const again = await b.openRun({ experimentName: "exp", ownerUid: "u1" });
    expect(again).toMatchObject({ runId: a.runId, status: "RUNNING" });
    const other = await b.openRun({ experimentName: "exp", ownerUid: "u2" });
    expect(other.runId).not.toBe(a.runId);
    const elsewhere = await b.openRun({ experimentName: "exp2", ownerUid: "u1" });
    expect(elsewhere.experimentId).not.toBe(a.experimentId);
    expect(await b.getOrCreateExperiment("exp")).toBe(a.experimentId);
  });

  it("params are immutable: a conflict writes nothing", async () => {
    const { root, b } = await store();
    const run = await b.openRun({ experimentName: "exp" });
    await b.logBatch(run, { params: [{ key: "lr", value: "1" }] });
    await b.logBatch(run, { params: [{ key: "lr", value: "1" }] });
    const e = await b.logBatch(run, { params: [{ key: "lr", value: "2" }, { key: "seed", value: "3" }] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ParamConflictError);
    await expect(readFile(join(root, run.experimentId, run.runId, "params", "seed"), "utf8")).rejects.toThrow();
  });
});

describe("createBackend and URLs", () => {
  it("picks REST for http(s), the file store otherwise", () => {
    expect(createBackend({ trackingUri: "http://mlflow:5000" }).kind).toBe("rest");
    expect(createBackend({ trackingUri: "file:///tmp/mlruns" }).kind).toBe("file");
    expect(createBackend({}).kind).toBe("file");
    expect(() => createBackend({ trackingUri: "databricks" })).toThrow(/unsupported/);
  });

  it("builds the UI URL of a run without credentials", () => {
    expect(mlflowRunUrl("http://u:p@mlflow.ns.svc:5000/", "3", "abc")).toBe("http://mlflow.ns.svc:5000/#/experiments/3/runs/abc");
    expect(mlflowRunUrl("https://x.example/mlflow", "1", "r")).toBe("https://x.example/mlflow/#/experiments/1/runs/r");
  });
});
