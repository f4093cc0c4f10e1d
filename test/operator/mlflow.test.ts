// The operator against a real control plane AND a real MLflow server (started here, on loopback): the run is created
// before the Job and passed to it, closed FINISHED/FAILED with the experiment or KILLED on deletion, never duplicated
// by a restart, and an unreachable MLflow is reported (TrackingReady=False, MlflowUnavailable) and waited out.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createNamespace, deleteNamespace, kubectl, kubectlJson, kubectlOk, waitFor } from "../cluster/kubectl.ts";
import { installMlflow, startServer, stopServer, type Started } from "../mlflow/server.ts";
import { installCrd } from "./crd.ts";
import { apply, condition, experiment, getExperiment, phaseIs, startTestOperator, type Obj } from "./operator-harness.ts";
import type { Manager, ManagerOptions } from "../../operator/manager.ts";
import { sweepManifest } from "./sweep-driver.ts";

const OWNER_TAG = "memeops.io/owner-uid";
const GRACE_MS = 12_000;

let ns = "";
let op: Manager | undefined;
let mlflow: Started | undefined;
let dir = "";
const operatorOptions = (): Partial<ManagerOptions> => ({ defaultTrackingUri: mlflow!.uri, trackingGraceMs: GRACE_MS });

beforeAll(async () => {
  installCrd();
  ns = createNamespace("memeops-mlflow");
  dir = await mkdtemp(join(tmpdir(), "memeops-op-mlflow-"));
  mlflow = await startServer(await installMlflow(), dir, {});
  op = await startTestOperator([ns], operatorOptions());
});
afterAll(async () => {
  // Let the operator release its finalizers before it stops, so the namespace can go.
  if (ns) kubectl(["delete", "memex", "--all", "-n", ns, "--wait=false"]);
  await waitFor("experiments gone", () => kubectlJson(["get", "memex", "-n", ns]).items.length === 0, { timeoutMs: 20_000 }).catch(() => undefined);
  await op?.stop();
  if (ns) deleteNamespace(ns);
  if (mlflow) await stopServer(mlflow.proc);
  if (dir) await rm(dir, { recursive: true, force: true });
});

// ---- MLflow REST, read directly (not through the library under test)
async function mlflowApi(path: string, body?: unknown): Promise<Obj> {
  const r = await fetch(`${mlflow!.uri}/api/2.0/mlflow/${path}`, {
    method: body ? "POST" : "GET",
    headers: { "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${path} -> ${r.status}: ${text}`);
  return JSON.parse(text);
}
const getRun = async (runId: string): Promise<Obj> => (await mlflowApi(`runs/get?run_id=${runId}`)).run;
async function runsOwnedBy(uid: string): Promise<Obj[]> {
  const exp = (await mlflowApi(`experiments/get-by-name?experiment_name=${ns}`)).experiment;
  const r = await mlflowApi("runs/search", { experiment_ids: [exp.experiment_id], filter: `tags.\`${OWNER_TAG}\` = '${uid}'`, run_view_type: "ALL", max_results: 100 });
  return r.runs ?? [];
}
const tag = (run: Obj, key: string): string | undefined => run.data.tags?.find((t: Obj) => t.key === key)?.value;
/** Polls an async predicate (waitFor is synchronous). */
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const jobsOf = (name: string): Obj[] => kubectlJson(["get", "jobs", "-n", ns, "-l", `memeops.io/experiment=${name}`]).items;
const podsOf = (name: string): Obj[] => kubectlJson(["get", "pods", "-n", ns, "-l", `memeops.io/experiment=${name}`]).items;
const envOf = (job: Obj): Record<string, string> => Object.fromEntries((job.spec.template.spec.containers[0].env ?? []).map((e: Obj) => [e.name, e.value]));

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

describe("MLflow runs of experiments", () => {
  test("success: the run exists and is passed to the Job when it is created; FINISHED with an end time", async () => {
    apply(experiment(ns, "ok", { outcome: "succeeded", after: "4s" }));
    const job = await waitFor("the Job", () => jobsOf("ok")[0]);
    // the status is written right after the Job is created (same reconcile)
    const e = await waitFor("status.mlflow", () => {
      const x = getExperiment(ns, "ok");
      return x.status?.mlflow?.runId ? x : undefined;
    });
    const runId: string = e.status.mlflow?.runId;
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    expect(e.status.mlflow.url).toContain(mlflow!.uri);
    expect(e.status.mlflow.url).toContain(runId);
    expect(condition(e, "TrackingReady")).toMatchObject({ status: "True" });
    const env = envOf(job);
    expect(env).toMatchObject({ MLFLOW_TRACKING_URI: mlflow!.uri, MLFLOW_RUN_ID: runId, MLFLOW_EXPERIMENT_NAME: ns });
    // the run existed before the Job: its start time is not after the Job's creation (second resolution)
    const run = await getRun(runId);
    expect(tag(run, OWNER_TAG)).toBe(e.metadata.uid);
    expect(Number(run.info.start_time)).toBeLessThanOrEqual(Date.parse(job.metadata.creationTimestamp) + 1000);
    expect(run.info.status).toBe("RUNNING");

    await waitFor("Succeeded", phaseIs(ns, "ok", "Succeeded"), { timeoutMs: 60_000 });
    const done = await until("run FINISHED", async () => {
      const r = await getRun(runId);
      return r.info.status === "FINISHED" && r;
    });
    expect(Number(done.info.end_time)).toBeGreaterThan(Number(done.info.start_time));
    await waitFor("run-closed annotation", () => getExperiment(ns, "ok").metadata.annotations?.["memeops.io/mlflow-run-closed"] === "FINISHED");
    expect(await runsOwnedBy(e.metadata.uid)).toHaveLength(1);
  });

  test("failure: the run ends FAILED", async () => {
    apply(experiment(ns, "bad", { outcome: "failed", spec: { runtime: { backoffLimit: 0 } } }));
    const e = await waitFor("Failed", phaseIs(ns, "bad", "Failed"), { timeoutMs: 60_000 });
    const runId: string = e.status.mlflow.runId;
    const r = await until("run FAILED", async () => {
      const x = await getRun(runId);
      return x.info.status === "FAILED" && x;
    });
    expect(Number(r.info.end_time)).toBeGreaterThan(0);
    expect(tag(r, OWNER_TAG)).toBe(e.metadata.uid);
  });

  test("deleting a running experiment: the run is KILLED and the object is gone", async () => {
    apply(experiment(ns, "doomed", { outcome: "succeeded", after: "120s" }));
    await waitFor("Running pod", () => podsOf("doomed").find((p) => p.status.phase === "Running"));
    const e = await waitFor("status.mlflow", () => {
      const x = getExperiment(ns, "doomed");
      return x.status?.mlflow?.runId ? x : undefined;
    });
    const runId: string = e.status.mlflow.runId;
    expect((await getRun(runId)).info.status).toBe("RUNNING");
    kubectlOk(["delete", "memex", "doomed", "-n", ns, "--wait=false"]);
    await waitFor("the experiment gone", () => kubectl(["get", "memex", "doomed", "-n", ns]).code !== 0, { timeoutMs: 30_000 });
    const r = await getRun(runId);
    expect(r.info.status).toBe("KILLED");
    expect(Number(r.info.end_time)).toBeGreaterThan(0);
  });

  test("re-reconciling and restarting the operator (even with status.mlflow lost) finds the same run", async () => {
    apply(experiment(ns, "again", { outcome: "succeeded", after: "120s" }));
    await waitFor("the Job", () => jobsOf("again")[0]);
    const e = await waitFor("status.mlflow", () => {
      const x = getExperiment(ns, "again");
      return x.status?.mlflow?.runId ? x : undefined;
    });
    const runId: string = e.status.mlflow.runId;
    // poke it: a spec-irrelevant change is reconciled again
    kubectlOk(["annotate", "memex", "again", "-n", ns, "poke=1"]);
    await op!.stop();
    op = undefined;
    // the worst case for a restart: the run id never made it into the status
    kubectlOk(["patch", "memex", "again", "-n", ns, "--subresource=status", "--type=merge", "-p", '{"status":{"mlflow":null}}']);
    expect(getExperiment(ns, "again").status.mlflow).toBeUndefined();
    op = await startTestOperator([ns], operatorOptions());
    const back = await waitFor("runId back", () => getExperiment(ns, "again").status?.mlflow?.runId);
    expect(back).toBe(runId);
    expect(await runsOwnedBy(e.metadata.uid)).toHaveLength(1);
    // and the terminal experiment from the first test still has one run after the restart's reconciles
    const ok = getExperiment(ns, "ok");
    expect(await runsOwnedBy(ok.metadata.uid)).toHaveLength(1);
    expect(jobsOf("again")).toHaveLength(1);
  });

  test("a sweep: a parent run, each trial's run its child (mlflow.parentRunId), ended with the sweep and its trials table", async () => {
    const outcome = { "memeops.io/pod-labels": "memeops.io/test-outcome=succeeded", "memeops.io/pod-annotations": "memeops.io/test-outcome-after=2s" };
    apply(sweepManifest(ns, "sw", { budget: { maxTrials: 2, parallelism: 2 } }, outcome));
    const started = await waitFor("the sweep's run", () => {
      const x = kubectlJson(["get", "memesweep", "sw", "-n", ns]);
      return x.status?.mlflow?.runId ? x : undefined;
    });
    const parent: string = started.status.mlflow.runId;
    expect(tag(await getRun(parent), "memeops.io/sweep")).toBe("sw");
    for (const trial of ["sw-t0001", "sw-t0002"]) {
      const e = await waitFor(`${trial} run`, () => {
        const x = getExperiment(ns, trial);
        return x.status?.mlflow?.runId ? x : undefined;
      });
      expect(e.metadata.annotations["memeops.io/mlflow-parent-run"]).toBe(parent);
      expect(tag(await getRun(e.status.mlflow.runId), "mlflow.parentRunId")).toBe(parent);
    }
    // The trials record no val_auroc here (MetricsMissing): the sweep ends without a best trial, Failed.
    const done = await waitFor("the sweep final", () => {
      const x = kubectlJson(["get", "memesweep", "sw", "-n", ns]);
      return x.status?.mlflow?.closed ? x : undefined;
    }, { timeoutMs: 90_000 });
    expect(done.status).toMatchObject({ phase: "Failed", counts: { metricsMissing: 2 } });
    expect((await getRun(parent)).info.status).toBe("FAILED");
    const csv = await (await fetch(`${mlflow!.uri}/get-artifact?path=trials.csv&run_uuid=${parent}`)).text();
    expect(csv.split("\n")[0]).toBe("trial,index,phase,training.learningRate,val_auroc,epoch,reason");
    expect(csv).toContain("sw-t0002,1,MetricsMissing,");
  });

  test("MLflow unreachable: TrackingReady=False/MlflowUnavailable without secrets, no Job until the grace period, then a Job without a run id", async () => {
    const port = await closedPort();
    const token = "tok-SECRET-4711";
    kubectlOk(["create", "secret", "generic", "mlflow-creds", "-n", ns, `--from-literal=MLFLOW_TRACKING_TOKEN=${token}`]);
    const uri = `http://127.0.0.1:${port}`;
    apply(experiment(ns, "offline", { outcome: "succeeded", after: "60s", spec: { tracking: { uri, credentialsSecret: { name: "mlflow-creds" } } } }));
    const e = await waitFor("TrackingReady=False", () => {
      const x = getExperiment(ns, "offline");
      return condition(x, "TrackingReady")?.status === "False" ? x : undefined;
    });
    const c = condition(e, "TrackingReady");
    expect(c.reason).toBe("MlflowUnavailable");
    expect(c.message).toContain(`127.0.0.1:${port}`);
    expect(c.message).toMatch(/unreachable|ECONNREFUSED|network error/i);
    expect(c.message).not.toContain(token);
    expect(e.status.mlflow).toBeUndefined();
    await waitFor("Warning event", () =>
      kubectlJson(["get", "events", "-n", ns, "--field-selector", "involvedObject.name=offline"]).items.find((x: Obj) => x.reason === "MlflowUnavailable" && x.type === "Warning"),
    );
    const events = kubectlJson(["get", "events", "-n", ns, "--field-selector", "involvedObject.name=offline"]).items;
    expect(JSON.stringify(events)).not.toContain(token);
    // within the grace period: no Job
    const created = Date.parse(e.metadata.creationTimestamp);
    if (Date.now() - created < GRACE_MS - 2000) expect(jobsOf("offline")).toEqual([]);
    // after it: the Job starts anyway, with the URI but without a run id (the trainer finds/creates it by owner UID)
    const job = await waitFor("the Job after the grace period", () => jobsOf("offline")[0], { timeoutMs: 45_000 });
    expect(Date.parse(job.metadata.creationTimestamp)).toBeGreaterThanOrEqual(created + GRACE_MS - 1000);
    const env = envOf(job);
    expect(env.MLFLOW_TRACKING_URI).toBe(uri);
    expect(env.MLFLOW_RUN_ID).toBeUndefined();
    expect(JSON.stringify(job)).not.toContain(token);
    expect(condition(getExperiment(ns, "offline"), "TrackingReady").status).toBe("False");
  });

  test("MLflow unreachable with credentials in the URI: the condition and events name the host, not the password", async () => {
    const port = await closedPort();
    apply(experiment(ns, "offline2", { outcome: "succeeded", after: "60s", spec: { tracking: { uri: `http://alice:hunter2@127.0.0.1:${port}` } } }));
    const c = await waitFor("TrackingReady=False", () => {
      const x = condition(getExperiment(ns, "offline2"), "TrackingReady");
      return x?.status === "False" ? x : undefined;
    });
    expect(c.reason).toBe("MlflowUnavailable");
    expect(c.message).toContain(`127.0.0.1:${port}`);
    expect(c.message).not.toContain("hunter2");
    const events = await waitFor("Warning event", () => {
      const items = kubectlJson(["get", "events", "-n", ns, "--field-selector", "involvedObject.name=offline2"]).items;
      return items.some((x: Obj) => x.reason === "MlflowUnavailable") ? items : undefined;
    });
    expect(JSON.stringify(events)).not.toContain("hunter2");
  });
});
