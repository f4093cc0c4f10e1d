// A whole training run logged through RunTracker into a real MLflow server, read back over REST.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { describe, expect, inject, it, onTestFinished } from "vitest";
import { RestBackend } from "../../tracking/rest-backend.ts";
import { RunTracker } from "../../tracking/tracker.ts";
import { EPOCH_METRIC, OWNER_UID_TAG, PARAM, PREDICTION_CHECKS, validationMetricName } from "../../tracking/names.ts";
import { mlflowRunUrl } from "../../tracking/mlflow/url.ts";
import { fastClient, recordingLogger, uniq } from "./helpers.ts";

const uri = inject("mlflowUri");

describe("a complete run against a real MLflow server", () => {
  it("records params, per-epoch and test metrics, checks, artifacts, name and FINISHED", async () => {
    const client = fastClient(uri);
    const log = recordingLogger();
    const experimentName = uniq("complete");
    const owner = uniq("uid");
    const tracker = new RunTracker(new RestBackend(client), { experimentName, runName: "vilbert-cc-1", ownerUid: owner }, { logger: log });

    expect(await tracker.start()).toBe(true);
    tracker.logParams({
      [PARAM.model]: "vilbert",
      [PARAM.extractor]: "resnet",
      [PARAM.backend]: "wasm",
      [PARAM.device]: "cpu",
      [PARAM.modelTotalParams]: 529_000,
      [PARAM.modelTrainableParams]: 528_000,
      [PARAM.datasetSource]: "synthetic",
      [PARAM.datasetHash]: "sha256:abc",
      lr: 2e-5,
      batch_size: 32,
    });
    for (let epoch = 0; epoch < 3; epoch++) {
      tracker.logEpoch(epoch, {
        [EPOCH_METRIC.trainLoss]: 0.7 - epoch * 0.1,
        [EPOCH_METRIC.valLoss]: 0.69 - epoch * 0.05,
        [EPOCH_METRIC.valAuroc]: 0.55 + epoch * 0.05,
        [EPOCH_METRIC.valAccuracy]: 0.6,
        [EPOCH_METRIC.valF1]: 0.5,
      });
    }
    tracker.logTestMetrics({ auroc: 0.71, accuracy: 0.66, precision: 0.6, recall: 0.5, f1: 0.55, tp: 10, tn: 20, fp: 5, fn: 7 });
    const checks = Object.fromEntries(PREDICTION_CHECKS.map((c) => [c, c !== "better_than_random"]));
    tracker.logPredictionChecks(checks);
    const dir = await mkdtemp(join(tmpdir(), "memeops-art-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, "predictions.csv"), "id,proba,label\n01235,0.9,1\n");
    await mkdir(join(dir, "model"));
    await writeFile(join(dir, "model", "weights.bin"), Buffer.alloc(300_000, 7));
    tracker.logArtifact(join(dir, "predictions.csv"));
    tracker.logArtifact(join(dir, "model"), "model");
    expect(await tracker.finish("FINISHED")).toBe(true);

    const run = await client.getRun(tracker.runId!);
    expect(run.info.status).toBe("FINISHED");
    expect(run.info.endTime).toBeGreaterThanOrEqual(run.info.startTime);
    expect(run.info.runName).toBe("vilbert-cc-1");
    expect(run.data.tags[OWNER_UID_TAG]).toBe(owner);
    expect(run.data.params).toMatchObject({ model: "vilbert", model_total_params: "529000", lr: "0.00002", batch_size: "32" });

    const auroc = await client.getMetricHistory(run.info.runId, EPOCH_METRIC.valAuroc);
    expect(auroc.map((m) => m.step)).toEqual([0, 1, 2]);
    expect(auroc.map((m) => m.value)).toEqual([0.55, 0.6, 0.65].map((v) => expect.closeTo(v, 10)));
    const latest = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
    expect(latest).toMatchObject({ test_auroc: 0.71, test_f1: 0.55, tp: 10, tn: 20, fp: 5, fn: 7 });
    expect(latest[validationMetricName("no_null_predictions")]).toBe(1);
    expect(latest[validationMetricName("better_than_random")]).toBe(0);

    const top = await client.listArtifacts(run.info.runId);
    expect(top.map((a) => a.path).sort()).toEqual(["model", "predictions.csv"]);
    const inner = await client.listArtifacts(run.info.runId, "model");
    expect(inner).toEqual([{ path: "model/weights.bin", isDir: false, fileSize: 300_000 }]);
    const got = await request(`${uri}/get-artifact?run_id=${run.info.runId}&path=predictions.csv`);
    expect(await got.body.text()).toContain("01235,0.9,1");

    expect(tracker.url).toBe(mlflowRunUrl(uri, run.info.experimentId, run.info.runId));
    expect(tracker.url).toMatch(/\/#\/experiments\/\d+\/runs\/[0-9a-f]{32}$/);
    const ui = await request(tracker.url!.split("#")[0]!);
    expect(ui.statusCode).toBe(200);
    await ui.body.text();
    expect(log.count("warn") + log.count("error")).toBe(0);
    await client.close();
  });

  it("a failed run ends FAILED and a killed one KILLED, each with end_time", async () => {
    const client = fastClient(uri);
    const experimentName = uniq("status");
    for (const status of ["FAILED", "KILLED"] as const) {
      const t = new RunTracker(new RestBackend(client), { experimentName, runName: status.toLowerCase() }, { logger: recordingLogger() });
      t.logEpoch(0, { train_loss: 1 });
      expect(await t.finish(status)).toBe(true);
      // finish() is idempotent: a second call (e.g. from an exit handler) changes nothing.
      expect(await t.finish("FINISHED")).toBe(true);
      const run = await client.getRun(t.runId!);
      expect(run.info.status).toBe(status);
      expect(run.info.endTime).toBeGreaterThan(0);
    }
    await client.close();
  });
});
