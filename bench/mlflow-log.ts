// Throughput of metric logging into a real MLflow server through runs/log-batch.
// Uses MLFLOW_TRACKING_URI when set, else installs (cached) and starts a local server for the run.
//   npx tsx bench/mlflow-log.ts [points=20000]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MlflowClient } from "../tracking/mlflow/client.ts";
import type { Metric } from "../tracking/mlflow/batch.ts";
import { RestBackend } from "../tracking/rest-backend.ts";
import { RunTracker } from "../tracking/tracker.ts";
import { installMlflow, startServer, stopServer, type Started } from "../test/mlflow/server.ts";

const points = Number(process.argv[2] ?? 20_000);
let server: Started | undefined;
let tmp: string | undefined;
let uri = process.env.MLFLOW_TRACKING_URI;
if (!uri) {
  tmp = await mkdtemp(join(tmpdir(), "memeops-bench-mlflow-"));
  server = await startServer(await installMlflow(), tmp, {});
  uri = server.uri;
}

try {
  const client = new MlflowClient({ trackingUri: uri });
  const exp = await client.getOrCreateExperiment(`bench-${Date.now()}`);

  // 1) One logBatch call, chunked into requests of 1000 points.
  const run = await client.createRun({ experimentId: exp.experimentId, runName: "log-batch" });
  const t0 = Date.now();
  const metrics: Metric[] = Array.from({ length: points }, (_, i) => ({ key: `m${i % 5}`, value: Math.random(), timestamp: t0 + i, step: Math.floor(i / 5) }));
  let t = performance.now();
  await client.logBatch(run.info.runId, { metrics });
  const batchS = (performance.now() - t) / 1000;
  const n = (await client.getMetricHistory(run.info.runId, "m0")).length;
  if (n !== points / 5) throw new Error(`expected ${points / 5} points of m0, found ${n}`);

  // 2) The trainer's path: RunTracker, one call per epoch (5 metrics), flushed in the background.
  const epochs = Math.min(2000, points / 5);
  const tracker = new RunTracker(new RestBackend(client), { experimentName: exp.name, runName: "tracker" });
  await tracker.start();
  t = performance.now();
  let blockedMs = 0;
  for (let e = 0; e < epochs; e++) {
    const c = performance.now();
    tracker.logEpoch(e, { train_loss: 1 / (e + 1), val_loss: 1, val_auroc: 0.5, val_accuracy: 0.5, val_f1: 0.5 });
    blockedMs += performance.now() - c;
  }
  await tracker.finish();
  const trackerS = (performance.now() - t) / 1000;

  console.log(
    JSON.stringify({
      server: uri,
      log_batch: { points, seconds: +batchS.toFixed(2), points_per_s: Math.round(points / batchS), requests: Math.ceil(points / 1000) },
      tracker: { epochs, points: epochs * 5, seconds: +trackerS.toFixed(2), points_per_s: Math.round((epochs * 5) / trackerS), training_blocked_us_per_call: +((blockedMs * 1000) / epochs).toFixed(1) },
    }),
  );
  await client.close();
} finally {
  if (server) await stopServer(server.proc);
  if (tmp) await rm(tmp, { recursive: true, force: true });
}
