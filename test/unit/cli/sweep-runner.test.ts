// `memeops sweep run`'s engine with a fake clock and fake trial processes (each a promise the test ends, epochs the
// test reports): budget.maxDuration, the goal and too many failures end the sweep as the operator's would and stop
// the running trials; pruned and stopped trials' MLflow runs (a real file store) are the sweep run's children,
// tagged as the operator tags them and KILLED; the trials table goes onto the sweep's run; a suspended sweep is
// refused.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { runSweep, type SweepClock, type SweepResult } from "../../../cli/sweep/runner.ts";
import type { TrialRun, TrialRunOptions } from "../../../cli/sweep/trial-process.ts";
import { parseMemeSweep } from "../../../api/v1alpha1/parse.ts";
import type { MemeSweep } from "../../../api/v1alpha1/memesweep.ts";
import { prunedRunTags } from "../../../api/contract/prune.ts";
import { RUN_STATUS_CODE } from "../../../tracking/local-store.ts";
import { storeRuns } from "./mlruns.ts";
import { planSweep } from "../../../operator/status/sweep.ts";
import { algorithmConfig, createAlgorithm, searchSpace } from "../../../search/index.ts";

class FakeClock implements SweepClock {
  t = Date.parse("2026-12-07T12:00:00Z");
  private timers: { at: number; fn: () => void }[] = [];
  now = () => this.t;
  setTimer(ms: number, fn: () => void) {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return () => void (this.timers = this.timers.filter((x) => x !== timer));
  }
  advance(ms: number) {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const x of due) x.fn();
  }
}

interface FakeTrial {
  o: TrialRunOptions;
  stopped: boolean;
  epoch(epoch: number, valAuroc: number): void;
  exit(code: number): void;
}

/** Trial processes the test drives: started in order, ended by the test (exit) or by the runner (stop: exit 143). */
function fakeTrials() {
  const started: FakeTrial[] = [];
  const start = (o: TrialRunOptions): TrialRun => {
    let end!: (r: Awaited<TrialRun["done"]>) => void;
    const done = new Promise<Awaited<TrialRun["done"]>>((r) => (end = r));
    const f: FakeTrial = {
      o,
      stopped: false,
      epoch: (epoch, valAuroc) => o.onEpoch({ epoch, valAuroc, valLoss: 1 - valAuroc }),
      exit: (code) => end({ code, signal: null, stopped: f.stopped, lastError: code ? "boom" : "" }),
    };
    started.push(f);
    return { pid: 4_000_000 + started.length, done, stop: () => ((f.stopped = true), f.exit(143)) };
  };
  /** trial i+1's process (trials start in order, but their processes may start in any order) */
  const of = (i: number) => started.find((f) => f.o.file.includes(`s-t000${i + 1}`))!;
  return { started, start, of, running: (n: number) => vi.waitFor(() => expect(started.length).toBe(n), { timeout: 30_000 }) };
}

function sweepOf(spec: Record<string, unknown>): MemeSweep {
  const r = parseMemeSweep({
    apiVersion: "memeops.io/v1alpha1",
    kind: "MemeSweep",
    metadata: { name: "s" },
    spec: {
      trialTemplate: { spec: { dataset: { source: { synthetic: {} } }, features: { extractor: "pixels", regions: 16 }, training: { epochs: 4 } } },
      parameters: [{ path: "training.learningRate", categorical: { values: [0.1, 0.01, 0.001] } }],
      objective: { metric: "val_auroc" },
      algorithm: { grid: {} },
      budget: { maxTrials: 3, parallelism: 2, maxFailedTrials: 1 },
      ...spec,
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

function start(sweep: MemeSweep) {
  const dir = mkdtempSync(join(tmpdir(), "memeops-sweep-runner-"));
  const clock = new FakeClock();
  const trials = fakeTrials();
  const lines: string[] = [];
  const done = runSweep(sweep, { out: join(dir, "out"), storage: join(dir, "storage"), trackingUri: join(dir, "mlruns"), log: (l) => lines.push(l), clock, startTrial: trials.start });
  return { dir, clock, trials, lines, done };
}

describe("sweep run: the sweep's end", () => {
  it("maxDuration: no trial starts after it, the running ones are stopped (Pruned, SweepEnded, runs KILLED), the operator's reason", async () => {
    const sweep = sweepOf({ budget: { maxTrials: 3, parallelism: 2, maxFailedTrials: 1, maxDuration: "10m" } });
    const s = start(sweep);
    await s.trials.running(2);
    s.trials.of(0).epoch(1, 0.6);
    s.trials.of(1).epoch(1, 0.7);
    s.trials.of(1).epoch(2, 0.65);
    s.clock.advance(9 * 60_000);
    expect([0, 1, 2].slice(0, s.trials.started.length).map((i) => s.trials.of(i).stopped)).toEqual([false, false]);
    s.clock.advance(60_000);
    const r = await s.done;

    expect([0, 1, 2].slice(0, s.trials.started.length).map((i) => s.trials.of(i).stopped)).toEqual([true, true]);
    expect(r.trials).toHaveLength(2); // the third never started
    expect(r).toMatchObject({ phase: "Failed", reason: "MaxDurationReached", message: "the sweep ran for budget.maxDuration (10m)", maxDuration: "10m", wallSeconds: 600 });
    const message = "the sweep ended (MaxDurationReached): the sweep ran for budget.maxDuration (10m)";
    expect(r.trials.map((t) => [t.name, t.phase, t.reason, t.value, t.epoch, t.message])).toEqual([
      ["s-t0001", "Pruned", "SweepEnded", 0.6, 1, message],
      ["s-t0002", "Pruned", "SweepEnded", 0.7, 2, message],
    ]);
    expect(r.trials[1]!.pruned).toEqual({ rule: "stopped", epoch: 2, value: 0.7, threshold: null, compared: 0, message });
    expect(s.lines).toContain("s: MaxDurationReached: the sweep ran for budget.maxDuration (10m); stopping 2 running trial(s)");
    const saved = JSON.parse(readFileSync(join(s.dir, "out", "sweep.json"), "utf8")) as SweepResult;
    expect(saved).toMatchObject({ phase: "Failed", reason: "MaxDurationReached", counts: { pruned: 2 } });

    // the operator, planning the same sweep past its deadline with a trial running, ends it the same way
    const algorithm = createAlgorithm(algorithmConfig(sweep.spec.algorithm), searchSpace(sweep.spec.parameters), "maximize");
    const first = planSweep({ name: "s", spec: sweep.spec, status: {}, trials: new Map(), algorithm, now: "2026-12-07T12:00:00Z" });
    const late = planSweep({ name: "s", spec: sweep.spec, status: first.status, trials: new Map([[0, { metadata: { name: "s-t0001", uid: "u0" }, status: { phase: "Training" } }]]), algorithm, now: "2026-12-07T12:10:00Z" });
    expect(late.status.phase).toBe(r.phase);
    expect(late.status.conditions?.find((c) => c.type === "Failed")).toMatchObject({ reason: r.reason, message: r.message });
    expect(late.prune[0]?.record.message).toBe(message);

    // MLflow: the sweep's run FAILED with the trials table, its trials' runs its children, KILLED, tagged as pruned
    const runs = storeRuns(join(s.dir, "mlruns"));
    expect(runs.s).toMatchObject({ status: RUN_STATUS_CODE.FAILED, tags: { "memeops.io/sweep": "s" }, artifacts: ["trials.csv"] });
    expect(r.mlflow?.runId).toBe(runs.s!.id);
    for (const [i, t] of r.trials.entries()) {
      expect(s.trials.of(i).o.env).toEqual({ MLFLOW_RUN_ID: t.mlflowRunId });
      expect(runs[t.name]).toMatchObject({ id: t.mlflowRunId, status: RUN_STATUS_CODE.KILLED });
      expect(runs[t.name]!.tags).toMatchObject({
        "mlflow.parentRunId": runs.s!.id, "memeops.io/experiment": t.name,
        "memeops.pruned": "true", "memeops.pruned.rule": "stopped", "memeops.pruned.epoch": String(t.epoch), "memeops.pruned.value": String(t.value), "memeops.pruned.compared": "0",
      });
      expect(runs[t.name]!.tags["memeops.pruned.threshold"]).toBeUndefined();
    }
    const csv = readFileSync(join(s.dir, "out", "trials.csv"), "utf8");
    expect(readFileSync(join(runs.s!.dir, "artifacts", "trials.csv"), "utf8")).toBe(csv);
    expect(csv.split("\n")[1]).toBe("s-t0001,0,Pruned,0.1,0.6,1,1,600,SweepEnded");
  });

  it("maxDuration after a trial succeeded: Succeeded, its best trial kept", async () => {
    const s = start(sweepOf({ budget: { maxTrials: 3, parallelism: 1, maxFailedTrials: 1, maxDuration: "1h" } }));
    await s.trials.running(1);
    s.trials.of(0).epoch(1, 0.8);
    s.trials.of(0).exit(0);
    await s.trials.running(2);
    s.clock.advance(3_600_000);
    const r = await s.done;
    expect(r).toMatchObject({ phase: "Succeeded", reason: "MaxDurationReached", bestTrial: { name: "s-t0001", value: 0.8, epoch: 1 } });
    expect(r.trials.map((t) => [t.phase, t.reason])).toEqual([["Succeeded", undefined], ["Pruned", "SweepEnded"]]);
    expect(storeRuns(join(s.dir, "mlruns"))["s-t0001"]).toMatchObject({ status: RUN_STATUS_CODE.FINISHED });
    expect(storeRuns(join(s.dir, "mlruns"))["s-t0001"]!.tags["memeops.pruned"]).toBeUndefined();
  });

  it("the goal, reached by a succeeded trial, stops the others (as the operator: not an epoch's value)", async () => {
    const s = start(sweepOf({ objective: { metric: "val_auroc", goal: 0.9 } }));
    await s.trials.running(2);
    s.trials.of(1).epoch(1, 0.95); // not the end yet: the trial has not succeeded
    s.trials.of(0).epoch(1, 0.5);
    s.trials.of(0).exit(0);
    await s.trials.running(3);
    expect([0, 1, 2].slice(0, s.trials.started.length).map((i) => s.trials.of(i).stopped)).toEqual([false, false, false]);
    s.trials.of(1).exit(0);
    const r = await s.done;
    expect(r).toMatchObject({ phase: "Succeeded", reason: "GoalReached", message: "trial s-t0002 reached val_auroc 0.95 (goal 0.9)" });
    expect([0, 1, 2].slice(0, s.trials.started.length).map((i) => s.trials.of(i).stopped)).toEqual([false, false, true]);
    expect(r.trials.map((t) => t.phase)).toEqual(["Succeeded", "Succeeded", "Pruned"]);
  });

  it("more failures than maxFailedTrials: Failed, the running trials stopped", async () => {
    const s = start(sweepOf({ budget: { maxTrials: 3, parallelism: 2, maxFailedTrials: 0 } }));
    await s.trials.running(2);
    s.trials.of(0).exit(1);
    const r = await s.done;
    expect(r).toMatchObject({ phase: "Failed", reason: "TooManyFailedTrials", message: "1 trials failed, more than budget.maxFailedTrials (0)" });
    expect(r.trials.map((t) => [t.phase, t.reason])).toEqual([["Failed", "RunFailed"], ["Pruned", "SweepEnded"]]);
    expect(storeRuns(join(s.dir, "mlruns"))["s-t0001"]).toMatchObject({ status: RUN_STATUS_CODE.FAILED });
  });

  it("the grid's last point: the running trials finish, SpaceExhausted", async () => {
    const s = start(sweepOf({ budget: { maxTrials: 10, parallelism: 3, maxFailedTrials: 1 } }));
    await s.trials.running(3);
    for (const i of [0, 1, 2]) {
      s.trials.of(i).epoch(1, 0.5 + i / 10);
      s.trials.of(i).exit(0);
    }
    const r = await s.done;
    expect(r).toMatchObject({ phase: "Succeeded", reason: "SpaceExhausted", message: "every point of the search space was tried (3 trials)", bestTrial: { name: "s-t0003" } });
    expect(storeRuns(join(s.dir, "mlruns")).s).toMatchObject({ status: RUN_STATUS_CODE.FINISHED });
  });
});

describe("sweep run: pruning", () => {
  it("a pruned trial's run: KILLED, tagged memeops.pruned with the rule's numbers, as the operator tags it", async () => {
    const s = start(sweepOf({ budget: { maxTrials: 2, parallelism: 1, maxFailedTrials: 1 }, earlyStopping: { median: { warmupEpochs: 0, minTrials: 1 } } }));
    await s.trials.running(1);
    s.trials.of(0).epoch(1, 0.9);
    s.trials.of(0).epoch(2, 0.9);
    s.trials.of(0).exit(0);
    await s.trials.running(2);
    s.trials.of(1).epoch(1, 0.25);
    const r = await s.done;
    expect(s.trials.of(1).stopped).toBe(true);
    const pruned = r.trials[1]!;
    expect(pruned).toMatchObject({ phase: "Pruned", reason: "median", value: 0.25, epoch: 1, pruned: { rule: "median", epoch: 1, value: 0.25, threshold: 0.9, compared: 1 } });
    const run = storeRuns(join(s.dir, "mlruns"))["s-t0002"]!;
    expect(run.status).toBe(RUN_STATUS_CODE.KILLED);
    const tags = { "memeops.pruned": "true", "memeops.pruned.rule": "median", "memeops.pruned.epoch": "1", "memeops.pruned.value": "0.25", "memeops.pruned.threshold": "0.9", "memeops.pruned.compared": "1" };
    expect(run.tags).toMatchObject(tags);
    // the operator's tags come from the same place, from the experiment's status.pruned
    expect(prunedRunTags({ rule: "median", epoch: 1, value: 0.25, threshold: 0.9, compared: 1 })).toEqual(tags);
    expect(r).toMatchObject({ phase: "Succeeded", reason: "BudgetExhausted" });
  });
});

describe("sweep run: suspend", () => {
  it("a suspended sweep is refused, naming the field; nothing starts", async () => {
    const s = start(sweepOf({ suspend: true }));
    await expect(s.done).rejects.toThrow("s: spec.suspend: true: a suspended sweep starts no trial; set it to false to run the sweep here");
    expect(s.trials.started).toEqual([]);
  });
});
