import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { RunTracker } from "../../../tracking/tracker.ts";
import type { Logger } from "../../../api/contract/log.ts";
import { FakeBackend } from "./fake-backend.ts";

function logger() {
  const lines: [string, string][] = [];
  const l: Logger = {
    debug: (m) => lines.push(["debug", m]),
    info: (m) => lines.push(["info", m]),
    warn: (m) => lines.push(["warn", m]),
    error: (m) => lines.push(["error", m]),
  };
  return { l, lines, n: (lvl: string) => lines.filter((x) => x[0] === lvl).length };
}
const spec = { experimentName: "e", runName: "r", ownerUid: "uid" };
const quick = { retryIntervalMs: 10, maxRetryIntervalMs: 40 };

describe("RunTracker", () => {
  it("logs everything under the shared names, then FINISHED", async () => {
    const b = new FakeBackend();
    const t = new RunTracker(b, spec, { logger: logger().l });
    t.logParams({ lr: 0.001, layers: [1, 2], skip: undefined });
    t.logEpoch(2, { train_loss: 0.5, val_auroc: 0.7 });
    t.logTestMetrics({ auroc: 0.8, tp: 1, fn: 2 });
    t.logPredictionChecks({ prediction_count: true, better_than_random: false });
    t.setTag("memeops.io/experiment", "ns/name");
    expect(await t.finish()).toBe(true);
    expect(Object.fromEntries(b.params)).toEqual({ lr: "0.001", layers: "[1,2]" });
    const m = Object.fromEntries(b.metrics.map((x) => [x.key, [x.value, x.step]]));
    expect(m).toEqual({
      train_loss: [0.5, 2],
      val_auroc: [0.7, 2],
      test_auroc: [0.8, 0],
      tp: [1, 0],
      fn: [2, 0],
      validation_prediction_count: [1, 0],
      validation_better_than_random: [0, 0],
    });
    expect(b.tags.get("memeops.io/experiment")).toBe("ns/name");
    expect(b.status).toBe("FINISHED");
    expect(t.url).toContain("/runs/run1");
  });

  it("never throws while the store is down; warns once; flushes when it is back", async () => {
    const b = new FakeBackend();
    b.down = true;
    const log = logger();
    const t = new RunTracker(b, spec, { logger: log.l, ...quick });
    expect(await t.start()).toBe(false);
    for (let e = 0; e < 20; e++) {
      t.logEpoch(e, { train_loss: e });
      await t.flush();
    }
    expect(log.n("warn")).toBe(1);
    expect(t.pending.metrics).toBe(20);
    b.down = false;
    t.logEpoch(20, { train_loss: 20 });
    await vi.waitFor(() => expect(b.metrics).toHaveLength(21), { timeout: 2000, interval: 5 });
    expect(b.metrics.map((m) => m.step)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(await t.finish("FINISHED")).toBe(true);
    expect(log.n("warn")).toBe(1);
    expect(log.lines.some(([lvl, m]) => lvl === "info" && m.includes("reachable again"))).toBe(true);
  });

  it("retries by itself in the background, with no further calls", async () => {
    const b = new FakeBackend();
    b.down = true;
    const t = new RunTracker(b, spec, { logger: logger().l, ...quick });
    t.logEpoch(0, { train_loss: 1 });
    await t.flush();
    b.down = false;
    await vi.waitFor(() => expect(b.metrics).toHaveLength(1), { timeout: 2000, interval: 5 });
    await t.finish();
  });

  it("keeps retrying when its clock lags the timers (a loaded machine), and recovers within maxRetryIntervalMs", async () => {
    // On a loaded machine a timer set for `delay` can fire before Date.now() has moved `delay` on (libuv
    // measures timers from the loop time cached at the start of the iteration). A frozen clock is the
    // extreme of that: every retry timer fires "early". The timer is the retry; it must not be refused.
    const b = new FakeBackend();
    b.down = true;
    const t = new RunTracker(b, spec, { logger: logger().l, ...quick, now: () => 1_000 });
    t.logEpoch(0, { train_loss: 1 });
    expect(await t.flush()).toBe(false);
    await new Promise((r) => setTimeout(r, 200)); // past maxRetryIntervalMs: the delay is at its cap
    const tries = b.calls.length + b.failedOpens;
    expect(tries).toBeGreaterThan(2);
    b.down = false;
    const back = Date.now();
    await vi.waitFor(() => expect(b.metrics).toHaveLength(1), { timeout: 2000, interval: 2 });
    // The bound docs/operator.md states: the next try comes at most maxRetryIntervalMs after the store is back
    // (plus timer lateness, generous here for a loaded machine).
    expect(Date.now() - back).toBeLessThan(quick.maxRetryIntervalMs + 500);
    await t.finish();
  });

  it("after an answer-less failure, the next send asks the store to check for points that landed", async () => {
    const b = new FakeBackend();
    const t = new RunTracker(b, spec, { logger: logger().l, ...quick });
    await t.start();
    b.loseNextAnswer = true;
    t.logEpoch(0, { train_loss: 1, val_loss: 2 });
    await t.flush();
    expect(b.metrics).toHaveLength(2); // landed although the tracker was told it failed
    b.down = false;
    expect(await t.finish()).toBe(true);
    expect(b.calls.at(-1)!.verifyMetrics).toBe(true);
    expect(b.metrics).toHaveLength(2);
  });

  it("param conflicts are reported, not thrown, and do not block other data", async () => {
    const b = new FakeBackend();
    b.params.set("seed", "1"); // e.g. an earlier try of this Job
    const log = logger();
    const t = new RunTracker(b, spec, { logger: log.l });
    t.logParams({ lr: 0.1 });
    t.logParams({ lr: 0.1 }); // same value again: fine
    t.logParams({ lr: 0.2 }); // caught locally
    t.logParams({ seed: 2, batch: 32 }); // caught by the store
    t.logEpoch(0, { train_loss: 1 });
    expect(await t.finish()).toBe(true);
    expect(t.conflicts.map((c) => [c.key, c.oldValue, c.newValue])).toEqual([
      ["lr", "0.1", "0.2"],
      ["seed", "1", "2"],
    ]);
    expect(Object.fromEntries(b.params)).toEqual({ seed: "1", lr: "0.1", batch: "32" });
    expect(b.metrics).toHaveLength(1);
    expect(log.lines.filter(([l]) => l === "error").map(([, m]) => m).join("\n")).toMatch(/lr="0.1" \(tried "0.2"\)/);
  });

  it("drops invalid keys and over-long values with an error instead of poisoning the batch", async () => {
    const b = new FakeBackend();
    const log = logger();
    const t = new RunTracker(b, spec, { logger: log.l });
    t.logMetrics({ "../escape": 1, ok: 2 });
    t.logParams({ long: "x".repeat(7000) });
    expect(await t.finish()).toBe(true);
    expect(b.metrics.map((m) => m.key)).toEqual(["ok"]);
    expect(t.dropped).toBe(2);
    expect(log.n("error")).toBe(2);
  });

  it("bounds the buffer during a long outage", async () => {
    const b = new FakeBackend();
    b.down = true;
    const t = new RunTracker(b, spec, { logger: logger().l, maxBufferedPoints: 5, ...quick });
    for (let i = 0; i < 8; i++) t.logMetric("m", i, i);
    b.down = false;
    expect(await t.finish()).toBe(true);
    expect(b.metrics.map((m) => m.step)).toEqual([3, 4, 5, 6, 7]);
    expect(t.dropped).toBe(3);
  });

  it("finish() is idempotent, sets end_time once, and ignores logging afterwards with one warning", async () => {
    const b = new FakeBackend();
    let now = 1000;
    const log = logger();
    const t = new RunTracker(b, spec, { logger: log.l, now: () => now });
    const first = t.finish("KILLED");
    now = 5000;
    expect(await t.finish("FINISHED")).toBe(true);
    expect(await first).toBe(true);
    expect(b.status).toBe("KILLED");
    expect(b.endTime).toBe(1000);
    t.logEpoch(1, { a: 1 });
    t.logEpoch(2, { a: 1 });
    expect(log.n("warn")).toBe(1);
    expect(b.metrics).toHaveLength(0);
  });

  it("uploads files and whole directories", async () => {
    const dir = await mkdtemp(join(tmpdir(), "memeops-trk-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, "model", "sub"), { recursive: true });
    await writeFile(join(dir, "model", "a.bin"), "a");
    await writeFile(join(dir, "model", "sub", "b.bin"), "b");
    await writeFile(join(dir, "p.csv"), "x");
    const b = new FakeBackend();
    const log = logger();
    const t = new RunTracker(b, spec, { logger: log.l });
    t.logArtifact(join(dir, "p.csv"));
    t.logArtifact(join(dir, "model"), "checkpoint");
    t.logArtifact(join(dir, "missing.bin"));
    expect(await t.finish()).toBe(true);
    expect(b.artifacts.sort()).toEqual(["checkpoint/a.bin", "checkpoint/sub/b.bin", "p.csv"]);
    expect(log.n("error")).toBe(1);
  });
});
