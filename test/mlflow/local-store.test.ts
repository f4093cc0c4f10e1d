// Runs without a tracking server go to MLflow's file store; the real MLflow must read them back.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, inject, it, onTestFinished } from "vitest";
import { FileStoreBackend } from "../../tracking/local-store.ts";
import { RunTracker } from "../../tracking/tracker.ts";
import { recordingLogger, uniq } from "./helpers.ts";

const python = inject("mlflowPython");

// Reads a run the way MLflow's own client does, and prints what the UI would show.
const READ = `
import json, math, sys, mlflow
from mlflow.tracking import MlflowClient
uri, run_id = sys.argv[1], sys.argv[2]
c = MlflowClient(tracking_uri=uri)
r = c.get_run(run_id)
exp = c.get_experiment(r.info.experiment_id)
runs = c.search_runs([r.info.experiment_id], filter_string="tags.\`memeops.io/owner-uid\` = 'uid-1'")
print(json.dumps({
  "experiment": exp.name,
  "status": r.info.status, "run_name": r.info.run_name, "end_time": r.info.end_time, "start_time": r.info.start_time,
  "params": r.data.params, "metrics": {k: v if math.isfinite(v) else str(v) for k, v in r.data.metrics.items()}, "tags": r.data.tags,
  "history": [[m.step, m.value, m.timestamp] for m in c.get_metric_history(run_id, "val_auroc")],
  "nan": [str(m.value) for m in c.get_metric_history(run_id, "weird")],
  "artifacts": sorted(f.path for f in c.list_artifacts(run_id)),
  "nested": sorted(f.path for f in c.list_artifacts(run_id, "model")),
  "search": [x.info.run_id for x in runs],
}))
`;

describe("local file store", () => {
  it("is read by the real mlflow: params, metric history, tags, status, artifacts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "memeops-mlruns-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const root = join(dir, "mlruns");
    const backend = new FileStoreBackend(root);
    const log = recordingLogger();
    const spec = { experimentName: uniq("local"), runName: "local-run", ownerUid: "uid-1" };
    const t = new RunTracker(backend, spec, { logger: log });
    t.logParams({ lr: 0.001, model: "vilbert", model_total_params: 529000 });
    for (let e = 0; e < 3; e++) t.logEpoch(e, { train_loss: 1 - e / 10, val_auroc: 0.5 + e / 10 });
    t.logMetrics({ weird: Number.NaN });
    t.logMetrics({ weird: Infinity }, 1);
    t.logTestMetrics({ auroc: 0.7, tp: 3 });
    t.logPredictionChecks({ class_distribution: true });
    await writeFile(join(dir, "predictions.csv"), "id,proba\n1,0.5\n");
    t.logArtifact(join(dir, "predictions.csv"));
    t.logArtifact(join(dir, "predictions.csv"), "model/copy.csv");
    expect(await t.finish("FINISHED")).toBe(true);

    // The same owner reopens the same run.
    const again = new RunTracker(new FileStoreBackend(root), spec, { logger: log });
    await again.start();
    expect(again.runId).toBe(t.runId);
    await again.finish("FINISHED");

    const { stdout } = await promisify(execFile)(python, ["-c", READ, pathToFileURL(root).href, t.runId!], {
      env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: "true", MLFLOW_DISABLE_TELEMETRY: "true" },
    });
    const r = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(r.experiment).toBe(spec.experimentName);
    expect(r.status).toBe("FINISHED");
    expect(r.run_name).toBe("local-run");
    expect(r.end_time).toBeGreaterThanOrEqual(r.start_time);
    expect(r.params).toEqual({ lr: "0.001", model: "vilbert", model_total_params: "529000" });
    expect(r.metrics).toMatchObject({ train_loss: 0.8, val_auroc: 0.7, test_auroc: 0.7, tp: 3, validation_class_distribution: 1, weird: "inf" });
    expect(r.history.map((h: number[]) => h[0])).toEqual([0, 1, 2]);
    expect(r.history.map((h: number[]) => h[1])).toEqual([0.5, 0.6, 0.7]);
    expect(r.nan).toEqual(["nan", "inf"]);
    expect(r.tags).toMatchObject({ "memeops.io/owner-uid": "uid-1", "mlflow.runName": "local-run" });
    expect(r.artifacts).toEqual(["model", "predictions.csv"]);
    expect(r.nested).toEqual(["model/copy.csv"]);
    expect(r.search).toEqual([t.runId]);
    expect(log.count("warn") + log.count("error")).toBe(0);
  });
});
