// What the trainer in a Job sends, in what order and how often; a metric without a value (NaN) is left out of its
// epoch or test results with its reason, and everything else still reaches the status. Also the stage lists both
// commands accept.
import { describe, expect, it } from "vitest";
import { applyReport, measuredEpoch, progressReport, reportedEpoch, resultReport } from "../../../api/contract/reports.ts";
import { memeExperimentStatus, type MemeExperimentStatus } from "../../../api/v1alpha1/status.ts";
import { ProgressSender, resultOf } from "../../../trainer-image/src/stages/job-report.ts";
import { jsonLogger } from "../../../api/contract/log.ts";
import { stageListProblem } from "../../../trainer-image/src/stages/stage-list.ts";
import type { RunResults } from "../../../trainer-image/src/stages/results.ts";
import type { TrainEvent } from "../../../trainer-image/src/training/loop.ts";

function recorder() {
  const out: string[] = [];
  const err: string[] = [];
  const log = jsonLogger({ out: { write: (s: string) => out.push(s) }, err: { write: (s: string) => err.push(s) }, now: () => new Date(0) });
  return { log, out, err, warnings: () => err.map((l) => JSON.parse(l).msg as string) };
}

/** A reporter whose deliveries complete when the test says so. */
function slowReporter() {
  const sent: any[] = [];
  const waiting: (() => void)[] = [];
  return {
    sent,
    /** Delivers until nothing more is queued (the next report is handed over a tick after the last one lands). */
    deliverAll: async () => {
      for (let idle = 0; idle < 3; ) {
        await new Promise((r) => setImmediate(r));
        if (waiting.length) (waiting.shift()!(), (idle = 0));
        else idle++;
      }
    },
    progress: (p: any) => new Promise<boolean>((r) => {
      sent.push(p);
      waiting.push(() => r(true));
    }),
  };
}

const step = (epoch: number, batch: number): TrainEvent => ({ type: "step", epoch, step: batch, batch, loss: 0.7, learningRate: 1e-3, gradNorm: 1, samplesPerSecond: 50 });
const metrics = (epoch: number, valAuroc = 0.7) => ({ epoch, trainLoss: 0.6, valLoss: 0.65, valAuroc, valAccuracy: 0.6, valF1: 0.6 });

describe("ProgressSender", () => {
  it("sends in order; within an epoch at most every interval and never while one is undelivered; every epoch end", async () => {
    const reporter = slowReporter();
    let now = 0;
    const s = new ProgressSender(reporter, recorder().log, { intervalMs: 1000, now: () => now });
    s.stage("train", "train the model");
    s.onTrainEvent({ type: "start", epochs: 2, stepsPerEpoch: 10, totalSteps: 20, resumedAfterEpoch: null });
    for (let b = 1; b <= 10; b++) {
      now += 400;
      s.onTrainEvent(step(1, b)); // first at 400 ms; the rest wait for its delivery
    }
    s.onTrainEvent({ type: "epoch", metrics: metrics(1), improved: true, bestEpoch: 1, seconds: 4, samplesPerSecond: 50 });
    await reporter.deliverAll();
    for (let b = 1; b <= 10; b++) {
      now += 400;
      s.onTrainEvent(step(2, b));
      await reporter.deliverAll(); // delivered at once: one report per interval
    }
    s.onTrainEvent({ type: "epoch", metrics: metrics(2), improved: false, bestEpoch: 1, seconds: 4, samplesPerSecond: 50 });
    await reporter.deliverAll();
    await s.drained();
    for (const p of reporter.sent) expect(progressReport.safeParse(p).success).toBe(true);
    const summary = reporter.sent.map((p) => `${p.epoch ?? "-"}${p.epochMetrics ? "!" : ""}`);
    // stage, start, one report within epoch 1, its end; in epoch 2 a report every 1000 ms (steps 1, 4, 7, 10 at 400 ms apart)
    expect(summary).toEqual(["-", "0", "1", "1!", "2", "2", "2", "2", "2!"]);
    expect(reporter.sent[2].message).toBe("epoch 1: step 1 of 10, 50 samples/s");
    expect(reporter.sent.every((p, i) => i < 2 || p.totalEpochs === 2)).toBe(true);
  });

  it("an epoch whose validation AUROC is NaN: every other metric reaches the status, AUROC absent with its reason", async () => {
    const reporter = slowReporter();
    const rec = recorder();
    const s = new ProgressSender(reporter, rec.log);
    const oneClass = "the labels hold one class only (0 positive, 12 negative)";
    s.onTrainEvent({ type: "epoch", metrics: metrics(1, NaN), improved: false, bestEpoch: null, seconds: 1, samplesPerSecond: 1 });
    s.onTrainEvent({ type: "epoch", metrics: { ...metrics(2, NaN), undefinedBecause: { valAuroc: oneClass } }, improved: false, bestEpoch: null, seconds: 1, samplesPerSecond: 1 });
    await reporter.deliverAll();
    await s.drained();
    expect(reporter.sent.map((p) => p.epochMetrics)).toEqual([
      { epoch: 1, trainLoss: 0.6, valLoss: 0.65, valAccuracy: 0.6, valF1: 0.6, undefinedBecause: { valAuroc: expect.stringMatching(/^AUROC is undefined: the validation split holds one class only/) } },
      { epoch: 2, trainLoss: 0.6, valLoss: 0.65, valAccuracy: 0.6, valF1: 0.6, undefinedBecause: { valAuroc: oneClass } },
    ]);
    expect(rec.warnings()).toEqual([]);
    // into the status: both epochs kept, no best epoch while none has an AUROC, then the first that has one
    let status: MemeExperimentStatus = {};
    for (const p of reporter.sent) status = { ...status, ...applyReport(status, progressReport.parse(p), "t") };
    expect(memeExperimentStatus.parse(status).epochs!.map((e) => [e.epoch, e.valLoss, e.valAuroc])).toEqual([[1, 0.65, undefined], [2, 0.65, undefined]]);
    expect([status.bestEpoch, status.bestValAuroc]).toEqual([undefined, undefined]);
    status = { ...status, ...applyReport(status, { kind: "progress", stage: "train", epochMetrics: reportedEpoch(metrics(3, 0.61)) }, "t") };
    expect([status.bestEpoch, status.bestValAuroc]).toEqual([3, 0.61]);
  });

  it("a diverged loss: left out with its reason; gauges read NaN for what is absent", () => {
    const m = reportedEpoch({ epoch: 4, trainLoss: NaN, valLoss: Infinity, valAuroc: 0.5, valAccuracy: 0.5, valF1: 0 });
    expect(m).toEqual({ epoch: 4, valAuroc: 0.5, valAccuracy: 0.5, valF1: 0, undefinedBecause: { trainLoss: expect.stringContaining("diverged"), valLoss: expect.stringContaining("diverged") } });
    expect(measuredEpoch(m)).toEqual({ epoch: 4, trainLoss: NaN, valLoss: NaN, valAuroc: 0.5, valAccuracy: 0.5, valF1: 0, undefinedBecause: m.undefinedBecause });
  });
});

describe("resultOf", () => {
  const results = (test: Record<string, number>): RunResults => ({
    format: "memeops.results/v1",
    run: { experiment: "x", mode: "train", stages: ["evaluate"], seconds: 1, failedChecks: [], succeeded: true },
    bestEpoch: 2, bestValAuroc: 0.8, checkpointUri: "/data/runs/x/checkpoints/epoch-0002",
    test: { auroc: 0.75, accuracy: 0.7, precision: 0.7, recall: 0.7, f1: 0.7, threshold: 0.5, samples: 10, confusionMatrix: { tp: 1, tn: 1, fp: 1, fn: 1 }, ...test },
    checks: [{ name: "better_than_random", passed: true, value: 0.75, threshold: 0.5, message: "ok" }],
  });

  it("the status fields of results.json, in the operator's schema", () => {
    const r = resultOf(results({}), recorder().log)!;
    expect(resultReport.parse({ kind: "result", ...r })).toMatchObject({ bestEpoch: 2, bestValAuroc: 0.8, test: { auroc: 0.75 } });
  });

  it("a test split with one class (AUROC NaN): the test results are reported without auroc, with its reason", () => {
    const rec = recorder();
    const r = resultOf({ ...results({ auroc: NaN }), bestValAuroc: NaN, test: { ...results({ auroc: NaN }).test!, undefinedBecause: { auroc: "the labels hold one class only (3 positive, 0 negative)" } } }, rec.log)!;
    expect(resultReport.parse({ kind: "result", ...r })).toEqual({
      kind: "result", bestEpoch: 2, checkpointUri: "/data/runs/x/checkpoints/epoch-0002", checks: [expect.objectContaining({ name: "better_than_random" })],
      test: { accuracy: 0.7, precision: 0.7, recall: 0.7, f1: 0.7, threshold: 0.5, samples: 10, confusionMatrix: { tp: 1, tn: 1, fp: 1, fn: 1 }, undefinedBecause: { auroc: "the labels hold one class only (3 positive, 0 negative)" } },
    });
    expect(rec.warnings()).toEqual([]);
  });
});

describe("stage lists", () => {
  const planned = ["prepare", "train", "evaluate"] as const;
  it("any of the experiment's stages, once each, in its order", () => {
    expect(stageListProblem(["prepare", "train", "evaluate"], [...planned])).toBeUndefined();
    expect(stageListProblem(["train", "evaluate"], [...planned])).toBeUndefined();
    expect(stageListProblem(["evaluate"], [...planned])).toBeUndefined();
    expect(stageListProblem([], [...planned])).toBe("no stage given (this experiment's stages: prepare, train, evaluate)");
    expect(stageListProblem(["trian"], [...planned])).toBe("unknown stage 'trian' (one of prepare, train, evaluate, predict)");
    expect(stageListProblem(["predict"], [...planned])).toBe("'predict' is not a stage of this experiment (prepare, train, evaluate)");
    expect(stageListProblem(["train", "train"], [...planned])).toMatch(/^stages must be given once each, in the order/);
    expect(stageListProblem(["evaluate", "train"], [...planned])).toMatch(/^stages must be given once each, in the order/);
  });
});
