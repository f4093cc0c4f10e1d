// Idempotency against the real server: one run per owner, no duplicated metric points after a retry,
// immutable params, log-batch chunking, Retry-After.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ParamConflictError } from "../../tracking/errors.ts";
import { OWNER_UID_TAG } from "../../tracking/names.ts";
import type { Metric } from "../../tracking/mlflow/batch.ts";
import { fastClient, uniq } from "./helpers.ts";
import { FlakyProxy, onPath } from "./proxy.ts";

const uri = inject("mlflowUri");
let proxy: FlakyProxy;

beforeAll(async () => {
  proxy = await new FlakyProxy(uri).start();
});
afterAll(() => proxy.stop());

async function newRun(client = fastClient(uri)) {
  const exp = await client.getOrCreateExperiment(uniq("idem"));
  const run = await client.createRun({ experimentId: exp.experimentId, runName: "r" });
  return { client, exp, runId: run.info.runId };
}

describe("run creation", () => {
  it("returns the same run for the same owner UID, also when asked concurrently", async () => {
    const client = fastClient(uri);
    const name = uniq("owner");
    const [e1, e2] = await Promise.all([client.getOrCreateExperiment(name), client.getOrCreateExperiment(name)]);
    expect(e1.experimentId).toBe(e2.experimentId);
    const owner = uniq("uid");
    const first = await client.getOrCreateRun({ experimentId: e1.experimentId, ownerUid: owner, runName: "a" });
    const again = await client.getOrCreateRun({ experimentId: e1.experimentId, ownerUid: owner, runName: "a" });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, run: { info: { runId: first.run.info.runId } } });

    // Concurrent calls in one process share one creation.
    const owner2 = uniq("uid");
    const racers = await Promise.all([1, 2, 3].map(() => client.getOrCreateRun({ experimentId: e1.experimentId, ownerUid: owner2 })));
    expect(new Set(racers.map((r) => r.run.info.runId)).size).toBe(1);
    expect(racers.filter((r) => r.created)).toHaveLength(1);
    expect(await client.searchRunsByTag(e1.experimentId, OWNER_UID_TAG, owner2)).toHaveLength(1);

    // Separate clients (as separate processes would be) converge on one run; the others are deleted.
    const owner3 = uniq("uid");
    const clients = [1, 2, 3].map(() => fastClient(uri));
    const across = await Promise.all(clients.map((c) => c.getOrCreateRun({ experimentId: e1.experimentId, ownerUid: owner3 })));
    expect(new Set(across.map((r) => r.run.info.runId)).size).toBe(1);
    expect(await client.searchRunsByTag(e1.experimentId, OWNER_UID_TAG, owner3)).toHaveLength(1);
    await Promise.all([client, ...clients].map((c) => c.close()));
  });

  it("a runs/create whose response was lost does not make a second run", async () => {
    const client = fastClient(proxy.uri);
    const exp = await client.getOrCreateExperiment(uniq("lost-create"));
    const owner = uniq("uid");
    proxy.rules.push(onPath("/runs/create", "drop-response"));
    const { run } = await client.getOrCreateRun({ experimentId: exp.experimentId, ownerUid: owner });
    const creates = proxy.forwarded.filter((r) => r.path.endsWith("/runs/create") && r.body.includes(owner));
    expect(creates).toHaveLength(1); // the retry found the run instead of creating another
    const found = await client.searchRunsByTag(exp.experimentId, OWNER_UID_TAG, owner);
    expect(found.map((r) => r.info.runId)).toEqual([run.info.runId]);
    await client.close();
  });
});

describe("log-batch", () => {
  it("a batch retried after a lost response does not duplicate metric points", async () => {
    const { runId } = await newRun();
    const client = fastClient(proxy.uri);
    const t0 = Date.now();
    const points: Metric[] = Array.from({ length: 30 }, (_, i) => ({ key: `m${i % 3}`, value: i / 7, timestamp: t0 + i, step: i }));
    const before = proxy.forwardedMetricPoints();
    proxy.rules.push(onPath("/runs/log-batch", "drop-response"));
    await client.logBatch(runId, { metrics: points });
    // The points went to MLflow exactly once; the retry checked the history and sent nothing again.
    expect(proxy.forwardedMetricPoints() - before).toBe(30);
    for (const k of ["m0", "m1", "m2"]) {
      const h = await client.getMetricHistory(runId, k);
      expect(h).toHaveLength(10);
      expect(new Set(h.map((m) => m.step)).size).toBe(10);
    }
    await client.close();
  });

  it("only the missing part of a partly applied batch is re-sent", async () => {
    const { runId } = await newRun();
    const direct = fastClient(uri);
    const t0 = Date.now();
    const points: Metric[] = Array.from({ length: 10 }, (_, i) => ({ key: "loss", value: i, timestamp: t0 + i, step: i }));
    await direct.logBatch(runId, { metrics: points.slice(0, 4) }); // an earlier try landed these
    const client = fastClient(proxy.uri);
    const before = proxy.forwardedMetricPoints();
    await client.logBatch(runId, { metrics: points }, { verifyMetrics: true });
    expect(proxy.forwardedMetricPoints() - before).toBe(6);
    expect((await direct.getMetricHistory(runId, "loss")).map((m) => m.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await Promise.all([direct.close(), client.close()]);
  });

  it("2500 metrics, 250 params and 150 tags in one call all arrive (chunked within MLflow's limits)", async () => {
    const { client, runId } = await newRun();
    const t0 = Date.now();
    const metrics: Metric[] = Array.from({ length: 2500 }, (_, i) => ({ key: "curve", value: Math.sin(i), timestamp: t0 + i, step: i }));
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    const tags = Array.from({ length: 150 }, (_, i) => ({ key: `t${i}`, value: "x".repeat(5000) }));
    const viaProxy = fastClient(proxy.uri);
    const n0 = proxy.forwarded.length;
    await viaProxy.logBatch(runId, { metrics, params, tags });
    const batches = proxy.forwarded.slice(n0).filter((r) => r.path.endsWith("/runs/log-batch"));
    for (const b of batches) {
      const j = JSON.parse(b.body) as { metrics: unknown[]; params: unknown[]; tags: unknown[] };
      expect(j.metrics.length).toBeLessThanOrEqual(1000);
      expect(j.params.length + j.tags.length).toBeLessThanOrEqual(200);
      expect(j.params.length).toBeLessThanOrEqual(100);
      expect(j.tags.length).toBeLessThanOrEqual(100);
      expect(j.metrics.length + j.params.length + j.tags.length).toBeLessThanOrEqual(1000);
      expect(Buffer.byteLength(b.body)).toBeLessThanOrEqual(1_000_000);
    }
    const h = await client.getMetricHistory(runId, "curve");
    expect(h).toHaveLength(2500);
    expect(h.map((m) => m.step)).toEqual(metrics.map((m) => m.step));
    const run = await client.getRun(runId);
    expect(Object.keys(run.data.params)).toHaveLength(250);
    expect(Object.keys(run.data.tags).filter((k) => /^t\d+$/.test(k))).toHaveLength(150);
    await Promise.all([client.close(), viaProxy.close()]);
  });

  it("params are immutable: the same value again is fine, another value is a ParamConflictError", async () => {
    const { client, runId } = await newRun();
    await client.logBatch(runId, { params: [{ key: "lr", value: "0.001" }] });
    await client.logBatch(runId, { params: [{ key: "lr", value: "0.001" }] });
    const err = await client.logBatch(runId, { params: [{ key: "lr", value: "0.1" }, { key: "seed", value: "1" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParamConflictError);
    expect((err as ParamConflictError).conflicts).toEqual([{ key: "lr", oldValue: "0.001", newValue: "0.1" }]);
    expect((err as Error).message).toContain("lr");
    expect((await client.getRun(runId)).data.params.lr).toBe("0.001");
    await client.close();
  });

  it("NaN and infinities are accepted and read back", async () => {
    const { client, runId } = await newRun();
    const t = Date.now();
    await client.logBatch(runId, {
      metrics: [
        { key: "v", value: Number.NaN, timestamp: t, step: 0 },
        { key: "v", value: Infinity, timestamp: t, step: 1 },
        { key: "v", value: 0.25, timestamp: t, step: 2 },
      ],
    });
    const h = await client.getMetricHistory(runId, "v");
    expect(h[0]!.value).toBeNaN();
    expect(h[1]!.value).toBeGreaterThan(1e300); // MLflow's SQL store keeps +inf as the largest double
    expect(h[2]!.value).toBe(0.25);
    await client.close();
  });

  it("a 429 with Retry-After is waited out, then succeeds", async () => {
    const { runId } = await newRun();
    const client = fastClient(proxy.uri);
    proxy.rules.push(onPath("/runs/set-tag", { status: 429, headers: { "retry-after": "1" } }));
    const t0 = Date.now();
    await client.setTag(runId, "k", "v");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect((await client.getRun(runId)).data.tags.k).toBe("v");
    await client.close();
  });
});
