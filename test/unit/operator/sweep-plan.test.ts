// The sweep's planning (operator/status/sweep.ts) as a pure function: new trials are recorded before they exist and
// re-planned identically, refused parameters make Infeasible trials without an object, trials are judged from their
// experiments, evicted ones re-run once per eviction, suspend and the sweep's end act on what runs.
import { describe, expect, it } from "vitest";
import { memeSweepSpec, type MemeSweepSpecInput } from "../../../api/v1alpha1/sweep-spec.ts";
import { memeSweepStatus, type MemeSweepStatus } from "../../../api/v1alpha1/sweep-status.ts";
import { invalidSweepStatus, planSweep, type TrialObject } from "../../../operator/status/sweep.ts";
import { durationMs } from "../../../api/contract/sweep-ending.ts";
import { algorithmConfig, createAlgorithm, prunerConfig, searchSpace } from "../../../search/index.ts";
import { buildTrial } from "../../../operator/builders/trial.ts";

const NOW = "2026-12-07T12:00:00Z";
const specOf = (o: Partial<MemeSweepSpecInput> = {}) =>
  memeSweepSpec.parse({
    trialTemplate: { spec: { dataset: { source: { synthetic: {} } }, features: { extractor: "pixels", regions: 16 }, training: { epochs: 4 } } },
    parameters: [{ path: "features.regions", categorical: { values: [16, 30, 36] } }],
    algorithm: { grid: {} },
    budget: { maxTrials: 3, parallelism: 2, maxFailedTrials: 0 },
    ...o,
  });

function plan(spec = specOf(), status: MemeSweepStatus = {}, trials = new Map<number, TrialObject>()) {
  const algorithm = createAlgorithm(algorithmConfig(spec.algorithm), searchSpace(spec.parameters), "maximize");
  const pruner = prunerConfig(spec.earlyStopping, spec.trialTemplate.spec.training.epochs);
  return planSweep({ name: "s", spec, generation: 1, status, trials, algorithm, ...(pruner && { pruner }), now: NOW });
}

const trial = (index: number, status: TrialObject["status"], extra: Partial<TrialObject["metadata"]> = {}): TrialObject => ({
  metadata: { name: `s-t000${index + 1}`, namespace: "ns", uid: `uid-${index}`, labels: { "memeops.io/trial-index": String(index) }, ...extra },
  spec: { suspend: false },
  status,
});
const epochs = (...aurocs: number[]) => aurocs.map((valAuroc, i) => ({ epoch: i + 1, valAuroc }));

describe("planSweep", () => {
  it("records parallelism's worth of trials before any exists, and plans the same ones again from that status", () => {
    const first = plan();
    expect(first.status.trials?.map((t) => [t.name, t.parameters, t.phase])).toEqual([
      ["s-t0001", { "features.regions": 16 }, "Pending"],
      ["s-t0002", { "features.regions": 30 }, "Infeasible"],
      ["s-t0003", { "features.regions": 36 }, "Pending"],
    ]);
    // 30 is not a square: no object for it, the reason names the field, and it does not count toward parallelism
    expect(first.status.trials?.[1]).toMatchObject({ reason: "InvalidSpec", message: expect.stringContaining("spec.features.regions") });
    expect(first.create.map((c) => [c.index, c.spec.features.regions])).toEqual([[0, 16], [2, 36]]);
    expect(first.status).toMatchObject({ phase: "Running", trialsCreated: 3, running: 2, startTime: NOW });
    // a restart that finds the status written but no trial object creates exactly the recorded ones
    const again = plan(specOf(), first.status);
    expect(again.status.trials).toEqual(first.status.trials);
    expect(again.create.map((c) => c.index)).toEqual([0, 2]);
  });

  it("judges trials from their experiments: best value, MetricsMissing, OOMKilled Infeasible; ends with the best trial", () => {
    const spec = specOf({ parameters: [{ path: "training.learningRate", categorical: { values: [0.1, 0.01, 0.001] } }], budget: { maxTrials: 3, parallelism: 3, maxFailedTrials: 0 } });
    const recorded = plan(spec).status;
    const trials = new Map([
      [0, trial(0, { phase: "Succeeded", epochs: epochs(0.6, 0.8, 0.7), mlflow: { runId: "r", url: "http://mlflow/r" } })],
      [1, trial(1, { phase: "Succeeded", epochs: [] })],
      [2, trial(2, { phase: "Failed", failure: { reason: "OOMKilled", message: "out of memory" } })],
    ]);
    const p = plan(spec, recorded, trials);
    expect(p.status.trials?.map((t) => [t.phase, t.value, t.epoch, t.reason])).toEqual([
      ["Succeeded", 0.8, 2, undefined],
      ["MetricsMissing", undefined, undefined, "MetricsMissing"],
      ["Infeasible", undefined, undefined, "OOMKilled"],
    ]);
    expect(p.status).toMatchObject({ phase: "Succeeded", completionTime: NOW, bestTrial: { name: "s-t0001", value: 0.8, epoch: 2, mlflowRunUrl: "http://mlflow/r" } });
    expect(p.status.conditions?.find((c) => c.type === "Succeeded")).toMatchObject({ status: "True", reason: "BudgetExhausted" });
  });

  it("clips what it copies into the status to the schema's byte bounds, on which the sweep's size budget rests", () => {
    const spec = specOf({ parameters: [{ path: "training.learningRate", categorical: { values: [0.1, 0.01] } }], budget: { maxTrials: 2, parallelism: 2, maxFailedTrials: 5 } });
    const recorded = plan(spec).status;
    const noisy = "<é\n\u0001😀".repeat(100);
    const p = plan(spec, recorded, new Map([[0, trial(0, { phase: "Failed", failure: { reason: `Odd${"é".repeat(120)}`, message: noisy } })]]));
    expect(p.status.trials?.[0]).toMatchObject({ phase: "Failed", reason: expect.stringMatching(/^Oddé+\.\.\.$/), message: expect.stringMatching(/^<é\n/) });
    expect(memeSweepStatus.safeParse(p.status).error).toBeUndefined();
    const refused = invalidSweepStatus(p.status, 2, `spec.parameters[0]: ${noisy.repeat(10)}`, NOW);
    expect(refused.conditions?.find((c) => c.type === "InvalidSpec")?.message).toMatch(/^spec\.parameters\[0\]: <é/);
    expect(memeSweepStatus.safeParse(refused).error).toBeUndefined();
  });

  it("an evicted trial is deleted once, re-created with the same parameters, and fails after MAX_RERUNS", () => {
    const recorded = plan().status;
    const evicted = trial(0, { phase: "Failed", failure: { reason: "Evicted", message: "preempted" } });
    const p1 = plan(specOf(), recorded, new Map([[0, evicted]]));
    expect(p1.rerun).toEqual([{ name: "s-t0001", uid: "uid-0" }]);
    expect(p1.status.trials?.[0]).toMatchObject({ phase: "Evicted", reruns: 1, evictedUid: "uid-0" });
    // the same object still there (deletion under way): asked again, not counted again
    expect(plan(specOf(), p1.status, new Map([[0, evicted]])).status.trials?.[0]).toMatchObject({ reruns: 1 });
    // gone: created again, same parameters
    const p2 = plan(specOf(), p1.status);
    expect(p2.create.map((c) => [c.index, c.spec.features.regions])).toEqual([[0, 16], [2, 36]]);
    const worn = { ...p1.status, trials: p1.status.trials!.map((t, i) => (i === 0 ? { ...t, reruns: 3, evictedUid: "old" } : t)) };
    expect(plan(specOf(), worn, new Map([[0, evicted]])).status.trials?.[0]).toMatchObject({ phase: "Failed", reason: "Evicted" });
  });

  it("prunes a running trial below the median and stops the live ones when failures exceed the budget", () => {
    const spec = specOf({
      parameters: [{ path: "training.learningRate", categorical: { values: [0.1, 0.01, 0.001, 0.0001] } }],
      budget: { maxTrials: 4, parallelism: 4, maxFailedTrials: 1 },
      earlyStopping: { median: { warmupEpochs: 1, minTrials: 2 } },
    });
    const recorded = plan(spec).status;
    const running = (i: number, ...v: number[]) => trial(i, { phase: "Training", epochs: epochs(...v) });
    const p = plan(spec, recorded, new Map([[0, running(0, 0.8, 0.9)], [1, running(1, 0.8, 0.9)], [2, running(2, 0.6, 0.65)], [3, running(3, 0.9)]]));
    expect(p.prune).toEqual([{ name: "s-t0003", record: expect.objectContaining({ rule: "median", epoch: 2, value: 0.65, threshold: 0.9, compared: 2 }) }]);
    const failed = (i: number) => trial(i, { phase: "Failed", failure: { reason: "BackoffLimitExceeded", message: "exit 1" } });
    const end = plan(spec, recorded, new Map([[0, failed(0)], [1, failed(1)], [2, running(2, 0.6)], [3, running(3, 0.7)]]));
    expect(end.status).toMatchObject({ phase: "Failed", completionTime: NOW });
    expect(end.prune.map((x) => [x.name, x.record.rule, x.record.epoch])).toEqual([["s-t0003", "stopped", 1], ["s-t0004", "stopped", 1]]);
    expect(end.create).toEqual([]);
  });

  it("every epoch is judged once: an ASHA rung passed between two reconciles is still judged", () => {
    const spec = specOf({
      parameters: [{ path: "training.learningRate", categorical: { values: [0.1, 0.01, 0.001, 0.0001] } }],
      budget: { maxTrials: 4, parallelism: 4 },
      earlyStopping: { asha: { minEpochs: 1, reductionFactor: 2 } }, // rungs at epochs 1 and 2 (4 epochs)
    });
    const recorded = plan(spec).status;
    const done = (i: number, ...v: number[]) => trial(i, { phase: "Succeeded", epochs: epochs(...v) });
    const others = [done(0, 0.7, 0.9, 0.9, 0.9), done(1, 0.6, 0.85, 0.9, 0.9), done(2, 0.5, 0.8, 0.8, 0.8)];
    // trial 3 reported epochs 1-3 before the sweep looked: fine at rung 1 (epoch 1), last of 4 at rung 2 (epoch 2)
    const late = trial(3, { phase: "Training", epochs: epochs(0.65, 0.7, 0.75) });
    const p = plan(spec, recorded, new Map([...others.map((e, i) => [i, e] as const), [3, late]]));
    expect(p.prune).toEqual([{ name: "s-t0004", record: expect.objectContaining({ rule: "asha", epoch: 2, value: 0.7 }) }]);
    expect(p.status.trials?.[3]?.judgedEpoch).toBe(2);
    // judged epochs are not judged again: a trial kept at epochs 1-3 is only judged from epoch 4 on
    const kept = { ...recorded, trials: recorded.trials!.map((t, i) => (i === 3 ? { ...t, judgedEpoch: 3 } : t)) };
    expect(plan(spec, kept, new Map([...others.map((e, i) => [i, e] as const), [3, late]])).prune).toEqual([]);
  });

  it("suspend creates nothing and suspends the live trials", () => {
    const recorded = plan().status;
    const p = plan(specOf({ suspend: true }), recorded, new Map([[0, trial(0, { phase: "Training" })]]));
    expect(p.status.phase).toBe("Suspended");
    expect(p.create).toEqual([]);
    expect(p.suspend).toEqual([{ name: "s-t0001", suspend: true }]);
  });

  it("maxDuration: the deadline is planned and, once passed, ends the sweep", () => {
    expect(durationMs("1h30m")).toBe(5_400_000);
    expect(durationMs("500ms")).toBe(500);
    const spec = specOf({ budget: { maxTrials: 3, parallelism: 1, maxDuration: "1m" } });
    const first = plan(spec);
    expect(first.deadlineInMs).toBe(60_000);
    const late = plan(spec, { ...first.status, startTime: "2026-12-07T11:58:00Z" }, new Map([[0, trial(0, { phase: "Training" })]]));
    expect(late.status.conditions?.find((c) => c.type === "Failed")).toMatchObject({ status: "True", reason: "MaxDurationReached" });
    expect(late.prune.map((x) => x.name)).toEqual(["s-t0001"]);
  });
});

describe("buildTrial", () => {
  it("names, labels and owns the trial; the sweep's Kueue labels flow to it and its queue", () => {
    const spec = specOf();
    const t = buildTrial({ name: "s", namespace: "ns", uid: "u", labels: { "kueue.x-k8s.io/queue-name": "gpus", other: "x" } }, spec.trialTemplate, 4, spec.trialTemplate.spec, false);
    expect(t.metadata).toMatchObject({ name: "s-t0005", labels: { "memeops.io/sweep": "s", "memeops.io/trial-index": "4", "kueue.x-k8s.io/queue-name": "gpus" } });
    expect(t.metadata.labels).not.toHaveProperty("other");
    expect(t.metadata.ownerReferences).toEqual([{ apiVersion: "memeops.io/v1alpha1", kind: "MemeSweep", name: "s", uid: "u", controller: true, blockOwnerDeletion: true }]);
    expect(t.spec.scheduling.queueName).toBe("gpus");
  });
});
