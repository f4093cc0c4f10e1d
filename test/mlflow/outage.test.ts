// MLflow unreachable: the training side never sees an exception, gets one warning per outage,
// and every point reaches the server once it is back; the final status is still set.
import { describe, expect, inject, it, vi } from "vitest";
import { RestBackend } from "../../tracking/rest-backend.ts";
import { RunTracker } from "../../tracking/tracker.ts";
import { fastClient, recordingLogger, uniq } from "./helpers.ts";
import { FlakyProxy, onPath } from "./proxy.ts";

const uri = inject("mlflowUri");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quick = { retryIntervalMs: 100, maxRetryIntervalMs: 400 };

describe("tracking while MLflow is unreachable", () => {
  it("down from the start: no throw, one warning, run created late, points flushed, FINISHED", async () => {
    const proxy = await new FlakyProxy(uri).start();
    await proxy.stop(); // the port is now closed
    const log = recordingLogger();
    const tracker = new RunTracker(new RestBackend(fastClient(proxy.uri)), { experimentName: uniq("down"), runName: "late", ownerUid: uniq("uid") }, { logger: log, ...quick });

    expect(await tracker.start()).toBe(false);
    tracker.logParams({ lr: 0.001, model: "vilbert" });
    for (let epoch = 0; epoch < 5; epoch++) {
      tracker.logEpoch(epoch, { train_loss: 1 / (epoch + 1), val_auroc: 0.5 + epoch / 100 });
      await sleep(150); // background retries keep failing meanwhile
    }
    expect(await tracker.flush()).toBe(false);
    expect(tracker.offline).toBe(true);
    expect(tracker.runId).toBeUndefined();
    expect(tracker.pending).toMatchObject({ metrics: 10, params: 2 });
    expect(log.count("warn")).toBe(1);
    expect(log.lines.find((l) => l.level === "warn")!.msg).toMatch(/cannot reach .*training goes on/);

    const seenBefore = proxy.seen.length;
    await proxy.start();
    tracker.logEpoch(5, { train_loss: 0.1, val_auroc: 0.6 });
    // The recovery bound (docs/operator.md): the tracker's next try reaches the server within
    // maxRetryIntervalMs of its return, whatever the server's own speed (slack for timers on a loaded machine).
    await vi.waitFor(() => expect(proxy.seen.length).toBeGreaterThan(seenBefore), { timeout: quick.maxRetryIntervalMs + 2_000, interval: 10 });
    await vi.waitFor(
      () => {
        expect(tracker.pending.metrics).toBe(0);
        expect(tracker.offline).toBe(false);
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(await tracker.finish("FINISHED")).toBe(true);

    const client = fastClient(uri);
    const run = await client.getRun(tracker.runId!);
    expect(run.info.status).toBe("FINISHED");
    expect(run.data.params).toMatchObject({ lr: "0.001", model: "vilbert" });
    expect((await client.getMetricHistory(tracker.runId!, "train_loss")).map((m) => m.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(log.count("warn")).toBe(1);
    expect(log.lines.some((l) => l.level === "info" && /reachable again/.test(l.msg))).toBe(true);
    await Promise.all([client.close(), proxy.stop()]);
  });

  it("down right after a batch landed unanswered: resent later without duplicates", async () => {
    const proxy = await new FlakyProxy(uri).start();
    const log = recordingLogger();
    const tracker = new RunTracker(new RestBackend(fastClient(proxy.uri)), { experimentName: uniq("midway"), runName: "m" }, { logger: log, ...quick });
    expect(await tracker.start()).toBe(true);
    proxy.rules.push(onPath("/runs/log-batch", "drop-then-down"));
    for (let epoch = 0; epoch < 3; epoch++) tracker.logEpoch(epoch, { train_loss: epoch, val_loss: epoch });
    expect(await tracker.flush()).toBe(false);
    expect(log.count("warn")).toBe(1);

    await proxy.start();
    expect(await tracker.finish("FINISHED")).toBe(true);
    // Every point went to MLflow exactly once although the first send was never answered.
    expect(proxy.forwardedMetricPoints()).toBe(6);
    const client = fastClient(uri);
    for (const key of ["train_loss", "val_loss"]) {
      expect((await client.getMetricHistory(tracker.runId!, key)).map((m) => m.step)).toEqual([0, 1, 2]);
    }
    expect((await client.getRun(tracker.runId!)).info.status).toBe("FINISHED");
    await Promise.all([client.close(), proxy.stop()]);
  });

  it("still down at finish: finish() gives up at its deadline without throwing and says what was lost", async () => {
    const proxy = await new FlakyProxy(uri).start();
    await proxy.stop();
    const log = recordingLogger();
    const tracker = new RunTracker(new RestBackend(fastClient(proxy.uri)), { experimentName: uniq("gone"), runName: "g" }, { logger: log, ...quick });
    tracker.logEpoch(0, { train_loss: 1 });
    const t0 = Date.now();
    expect(await tracker.finish("FAILED", { timeoutMs: 2_000 })).toBe(false);
    expect(Date.now() - t0).toBeLessThan(6_000);
    expect(log.lines.find((l) => l.level === "error")?.msg).toMatch(/not marked FAILED; lost 1 metric points/);
    expect(log.count("warn")).toBe(1);
  });
});
