// The progress bar of `memeops run` on a terminal: what one bar says, when it is redrawn, and that it makes room
// for the epoch line.
import { describe, expect, it } from "vitest";
import { EpochProgressBar, formatBar, formatDuration } from "../../../cli/progress-bar.ts";
import { progressPrinter } from "../../../cli/commands/run.ts";
import type { TrainEvent } from "../../../trainer-image/src/training/loop.ts";

const step = (epoch: number, batch: number, samplesPerSecond = 100): TrainEvent =>
  ({ type: "step", epoch, step: batch, batch, loss: 0.7, learningRate: 1e-3, gradNorm: 1, samplesPerSecond });
const metrics = { epoch: 1, trainLoss: 0.7, valLoss: 0.69, valAuroc: 0.6, valAccuracy: 0.5, valF1: 0.5 };

function fakeTerminal() {
  const writes: string[] = [];
  let t = 0;
  return { writes, stream: { write: (s: string) => writes.push(s), columns: 200 }, clock: { now: () => t, advance: (ms: number) => (t += ms) } };
}

describe("formatBar", () => {
  it("steps of total, samples/s and ETA", () => {
    expect(formatBar({ epoch: 2, epochs: 10, step: 6, steps: 24, samplesPerSecond: 136.4, etaSeconds: 75 }, 12))
      .toBe("epoch  2/10 [###---------]  6/24 steps  136 samples/s  ETA 1:15");
    expect(formatBar({ epoch: 1, epochs: 1, step: 1, steps: 3, samplesPerSecond: 5, etaSeconds: null }, 3)).toBe("epoch 1/1 [#--] 1/3 steps  5 samples/s  ETA -");
    expect(formatBar({ epoch: 1, epochs: 1, step: 3, steps: 3, samplesPerSecond: 5, etaSeconds: 0 }, 3)).toBe("epoch 1/1 [###] 3/3 steps  5 samples/s  validating");
  });

  it("durations", () => {
    expect([formatDuration(0), formatDuration(59.6), formatDuration(3725)]).toEqual(["0:00", "1:00", "1:02:05"]);
  });
});

describe("EpochProgressBar", () => {
  it("redraws in place at most every interval, always at the last step, ETA from the pace so far", () => {
    const term = fakeTerminal();
    const bar = new EpochProgressBar(term.stream, { intervalMs: 100, now: term.clock.now });
    bar.onEvent({ type: "start", epochs: 3, stepsPerEpoch: 4, totalSteps: 12, resumedAfterEpoch: null });
    bar.onEvent(step(1, 1));
    term.clock.advance(50);
    bar.onEvent(step(1, 2)); // 50 ms after the last draw: skipped
    term.clock.advance(450);
    bar.onEvent(step(1, 3)); // 500 ms for 2 steps: 0.25 s a step, 1 step left
    term.clock.advance(10);
    bar.onEvent(step(1, 4)); // the last step is always drawn
    expect(term.writes).toHaveLength(3);
    for (const w of term.writes) expect(w).toMatch(/^\r.*\x1b\[K$/);
    expect(term.writes[0]).toContain("1/4 steps");
    expect(term.writes[1]).toContain("3/4 steps");
    expect(term.writes[1]).toContain("ETA 0:00");
    expect(term.writes[2]).toContain("4/4 steps");
    expect(term.writes[2]).toContain("validating");
    bar.onEvent({ type: "epoch", metrics, improved: true, bestEpoch: 1, seconds: 1, samplesPerSecond: 100 });
    expect(term.writes.at(-1)).toBe("\r\x1b[K");
  });

  it("an ETA in minutes for a long epoch", () => {
    const term = fakeTerminal();
    const bar = new EpochProgressBar(term.stream, { intervalMs: 0, now: term.clock.now });
    bar.onEvent({ type: "start", epochs: 1, stepsPerEpoch: 1001, totalSteps: 1001, resumedAfterEpoch: null });
    bar.onEvent(step(1, 1));
    term.clock.advance(1000);
    bar.onEvent(step(1, 2)); // 1 s a step, 999 left
    expect(term.writes.at(-1)).toContain("ETA 16:39");
  });

  it("keeps its own time by default", () => {
    const term = fakeTerminal();
    const bar = new EpochProgressBar(term.stream);
    bar.onEvent({ type: "start", epochs: 1, stepsPerEpoch: 3, totalSteps: 3, resumedAfterEpoch: null });
    bar.onEvent(step(1, 1));
    bar.onEvent(step(1, 3));
    expect(term.writes.at(-1)).toContain("3/3 steps");
  });

  it("cut to the terminal's width", () => {
    const term = fakeTerminal();
    term.stream.columns = 30;
    const bar = new EpochProgressBar(term.stream, { now: term.clock.now });
    bar.onEvent({ type: "start", epochs: 1, stepsPerEpoch: 2, totalSteps: 2, resumedAfterEpoch: null });
    bar.onEvent(step(1, 1));
    expect(term.writes[0]!.replace("\r", "").replace("\x1b[K", "")).toHaveLength(29);
  });
});

describe("memeops run's printer", () => {
  it("on a terminal: the bar on its stream, cleared before each epoch line", () => {
    const term = fakeTerminal();
    const printed: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void printed.push(a.join(" "));
    try {
      const print = progressPrinter(true, new EpochProgressBar(term.stream, { now: term.clock.now }));
      print({ type: "start", epochs: 1, stepsPerEpoch: 2, totalSteps: 2, resumedAfterEpoch: null });
      print(step(1, 1));
      print({ type: "epoch", metrics, improved: true, bestEpoch: 1, seconds: 1, samplesPerSecond: 100 });
    } finally {
      console.log = log;
    }
    expect(term.writes.at(-1)).toBe("\r\x1b[K");
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/^epoch 1\/1 {2}train_loss 0\.7000/);
  });

  it("otherwise: JSON lines, no bar", () => {
    const printed: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void printed.push(a.join(" "));
    try {
      const print = progressPrinter(false);
      print(step(1, 1));
      print({ type: "epoch", metrics, improved: true, bestEpoch: 1, seconds: 1, samplesPerSecond: 100 });
    } finally {
      console.log = log;
    }
    expect(printed.map((l) => JSON.parse(l).event)).toEqual(["epoch"]);
  });
});
