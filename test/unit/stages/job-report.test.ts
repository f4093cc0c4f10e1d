// What the trainer in a Job sends, in what order and how often; metrics the operator's schema refuses (NaN) are left
// out and named instead of getting the whole report refused. Also the stage lists both commands accept.
import { describe, expect, it } from "vitest";
import { progressReport, resultReport } from "../../../operator/reporting/messages.ts";
import { ProgressSender, resultOf } from "../../../trainer-image/src/stages/job-report.ts";
import { jsonLog } from "../../../trainer-image/src/stages/json-log.ts";
import { stageListProblem } from "../../../trainer-image/src/stages/stage-list.ts";
import type { RunResults } from "../../../trainer-image/src/stages/results.ts";
import type { TrainEvent } from "../../../trainer-image/src/training/loop.ts";

function recorder() {
  const out: string[] = [];
  const err: string[] = [];
  const log = jsonLog({ write: (s: string) => out.push(s) }, { write: (s: string) => err.push(s) }, {}, () => new Date(0));
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

  it("an epoch whose validation AUROC is NaN: reported without its metrics, and the log says why", async () => {
    const reporter = slowReporter();
    const rec = recorder();
    const s = new ProgressSender(reporter, rec.log);
    s.onTrainEvent({ type: "epoch", metrics: metrics(1, NaN), improved: false, bestEpoch: null, seconds: 1, samplesPerSecond: 1 });
    await reporter.deliverAll();
    await s.drained();
    expect(reporter.sent).toEqual([{ kind: "progress", stage: "train", epoch: 1, message: "epoch 1 done" }]);
    expect(rec.warnings()).toEqual([expect.stringMatching(/^report field epochMetrics left out: epochMetrics\.valAuroc: /)]);
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

  it("a test split with one class (AUROC NaN): the rest is reported, the test results are named as left out", () => {
    const rec = recorder();
    const r = resultOf(results({ auroc: NaN }), rec.log)!;
    expect(r.test).toBeUndefined();
    expect(r).toMatchObject({ bestEpoch: 2, checks: [{ name: "better_than_random" }] });
    expect(rec.warnings()).toEqual([expect.stringMatching(/^report field test left out: test\.auroc: /)]);
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
