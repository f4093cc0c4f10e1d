// `memeops run` logs every run to MLflow: a tiny experiment trained through the CLI command into the real MLflow
// server (read back over REST), and into a file store that the real MLflow Python client reads.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { runCommand } from "../../cli/commands/run.ts";
import { CHECK_NAMES } from "../../api/v1alpha1/status.ts";
import { resolveTrackingTarget } from "../../trainer-image/src/stages/mlflow-run.ts";
import { restApi, uniq } from "./helpers.ts";

const uri = inject("mlflowUri");
const python = inject("mlflowPython");

const tmp = mkdtempSync(join(tmpdir(), "memeops-run-mlflow-"));
const storage = join(tmp, "storage");

const experimentFile = (name: string, experimentName: string) => {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, JSON.stringify({
    apiVersion: "memeops.io/v1alpha1", kind: "MemeExperiment", metadata: { name },
    spec: {
      mode: "train",
      dataset: { source: { synthetic: { count: 64, seed: 3, imageSize: 32 } } },
      features: { extractor: "pixels", regions: 16 },
      model: { name: "vilbert_hf", size: "tiny" },
      training: { epochs: 2, batchSize: 32, learningRate: 0.001, warmupSteps: 2, maxSequenceLength: 16 },
      checks: { enforce: false },
      tracking: { experimentName },
      resources: { gpus: 0 },
    },
  }));
  return file;
};

let logs: string[] = [];
const savedEnv = process.env.MLFLOW_TRACKING_URI;
beforeAll(() => {
  delete process.env.MLFLOW_TRACKING_URI;
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void logs.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void logs.push(a.join(" ")));
  vi.spyOn(console, "warn").mockImplementation((...a: unknown[]) => void logs.push(a.join(" ")));
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => (logs.push(String(s)), true));
});
afterAll(() => {
  vi.restoreAllMocks();
  if (savedEnv !== undefined) process.env.MLFLOW_TRACKING_URI = savedEnv;
  rmSync(tmp, { recursive: true, force: true });
});

const api = restApi(uri);

describe("memeops run --tracking-uri http://… (a real MLflow server)", () => {
  it("logs params, per-epoch metrics, test metrics, checks, artifacts and FINISHED", async () => {
    logs = [];
    const experimentName = uniq("memeops-run");
    const code = await runCommand.run([experimentFile("tiny-tracked", experimentName), "--out", join(tmp, "out"), "--storage", storage, "--tracking-uri", uri]);
    expect(code).toBe(0);

    const exp = await api(`experiments/get-by-name?experiment_name=${encodeURIComponent(experimentName)}`);
    const found = await api("runs/search", { experiment_ids: [exp.experiment.experiment_id] });
    expect(found.runs).toHaveLength(1);
    const run = found.runs[0];
    const runId: string = run.info.run_id;
    expect(run.info.status).toBe("FINISHED");
    expect(run.info.run_name).toBe("tiny-tracked");
    expect(logs.join("\n")).toContain(`mlflow: run ${runId} FINISHED`);

    const params = Object.fromEntries((run.data.params as { key: string; value: string }[]).map((p) => [p.key, p.value]));
    for (const k of ["model_total_params", "model_trainable_params", "backend", "device", "extractor", "regions", "model", "size", "dataset_source", "dataset_hash"]) {
      expect(params[k], k).toBeDefined();
    }
    expect(params).toMatchObject({ model: "vilbert_hf", size: "tiny", modalities: "text,image", extractor: "pixels", regions: "16", dataset_source: "synthetic", epochs: "2", maxSequenceLength: "16", learningRate: "0.001" });
    expect(Number(params.model_total_params)).toBeGreaterThan(0);
    // nothing frozen: every parameter trains, and no freeze.* param claims otherwise
    expect(params.model_trainable_params).toBe(params.model_total_params);
    expect(Object.keys(params).filter((k) => k.startsWith("freeze."))).toEqual([]);
    expect(params.dataset_hash).toMatch(/^[0-9a-f]{16,}$/);

    const history = await api(`metrics/get-history?run_id=${runId}&metric_key=val_auroc`);
    expect(history.metrics.map((m: { step: number }) => Number(m.step)).sort()).toEqual([1, 2]);
    const metrics = Object.fromEntries((run.data.metrics as { key: string; value: number }[]).map((m) => [m.key, m.value]));
    for (const k of ["train_loss", "val_loss", "val_accuracy", "val_f1", "test_auroc", "test_accuracy", "test_f1", "tp", "tn", "fp", "fn"]) expect(metrics[k], k).toBeTypeOf("number");
    for (const c of CHECK_NAMES) expect([0, 1], c).toContain(metrics[`validation_${c}`]);

    const arts = await api(`artifacts/list?run_id=${runId}`);
    const paths = (arts.files as { path: string }[]).map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(["results.json", "predictions.csv", "experiment.yaml", "checkpoint"]));
    const ckpt = await api(`artifacts/list?run_id=${runId}&path=checkpoint`);
    expect((ckpt.files as { path: string }[]).map((f) => f.path)).toContain("checkpoint/checkpoint.json");
  }, 60_000);
});

describe("memeops run without a tracking server", () => {
  it("defaults to file://CWD/.memeops/mlruns (MLFLOW_TRACKING_URI and spec.tracking.uri come first)", () => {
    const spec = { tracking: {} } as Parameters<typeof resolveTrackingTarget>[0];
    expect(resolveTrackingTarget(spec, undefined, {}, "/w")).toEqual({ uri: "file:///w/.memeops/mlruns", kind: "file", from: "default" });
    expect(resolveTrackingTarget(spec, undefined, { MLFLOW_TRACKING_URI: "http://m:5000/" }, "/w").uri).toBe("http://m:5000");
    const withUri = { tracking: { uri: "https://spec" } } as Parameters<typeof resolveTrackingTarget>[0];
    expect(resolveTrackingTarget(withUri, undefined, {}, "/w").uri).toBe("https://spec");
    expect(resolveTrackingTarget(withUri, "runs/here", { MLFLOW_TRACKING_URI: "http://m" }, "/w").uri).toBe("file:///w/runs/here");
  });

  it("writes a file store that the real MLflow client lists", async () => {
    logs = [];
    const store = join(tmp, "mlruns");
    const experimentName = uniq("memeops-local");
    const code = await runCommand.run([experimentFile("tiny-local", experimentName), "--out", join(tmp, "out-local"), "--storage", storage, "--tracking-uri", store]);
    expect(code).toBe(0);
    expect(logs.join("\n")).toContain(`MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri ${pathToFileURL(store).href}`);
    const READ = `
import json, sys
from mlflow.tracking import MlflowClient
c = MlflowClient(tracking_uri=sys.argv[1])
exp = c.get_experiment_by_name(sys.argv[2])
runs = c.search_runs([exp.experiment_id])
r = runs[0]
print(json.dumps({"n": len(runs), "status": r.info.status, "name": r.info.run_name, "params": r.data.params,
  "history": [m.step for m in c.get_metric_history(r.info.run_id, "val_auroc")],
  "test_auroc": r.data.metrics.get("test_auroc"),
  "artifacts": sorted(f.path for f in c.list_artifacts(r.info.run_id))}))
`;
    const { stdout } = await promisify(execFile)(python, ["-c", READ, pathToFileURL(store).href, experimentName], {
      env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: "true" },
    });
    const got = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(got).toMatchObject({ n: 1, status: "FINISHED", name: "tiny-local", history: [1, 2] });
    expect(got.params.model).toBe("vilbert_hf");
    expect(typeof got.test_auroc).toBe("number");
    expect(got.artifacts).toEqual(expect.arrayContaining(["checkpoint", "experiment.yaml", "predictions.csv", "results.json"]));
  }, 60_000);
});
