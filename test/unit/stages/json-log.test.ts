// The one JSON-line logger of the operator and the trainer (api/contract/log.ts): the same fields in both processes.
import { describe, expect, it } from "vitest";
import { jsonLogger } from "../../../api/contract/log.ts";

const at = () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5));

describe("jsonLogger", () => {
  it("the trainer's form: info on one sink, warnings and errors on another, fields added with with(), NaN as text", () => {
    const out: string[] = [];
    const err: string[] = [];
    const log = jsonLogger({ out: { write: (s: string) => out.push(s) }, err: { write: (s: string) => err.push(s) }, base: { experiment: "x" }, now: at });
    const stage = log.with({ stage: "train" });
    stage.info("epoch 1 done", { valAuroc: NaN, trainLoss: 0.5 });
    stage.warn("slow");
    log.error("failed", { experiment: "override" });
    log.debug("dropped");
    expect(out).toEqual(['{"time":"2026-01-02T03:04:05.000Z","level":"info","msg":"epoch 1 done","experiment":"x","stage":"train","valAuroc":"NaN","trainLoss":0.5}\n']);
    expect(err.map((l) => JSON.parse(l))).toEqual([
      { time: "2026-01-02T03:04:05.000Z", level: "warn", msg: "slow", experiment: "x", stage: "train" },
      { time: "2026-01-02T03:04:05.000Z", level: "error", msg: "failed", experiment: "override" },
    ]);
  });

  it("the operator's form: every line to one function, debug when asked", () => {
    const lines: string[] = [];
    const log = jsonLogger({ write: (l) => lines.push(l), debug: true, now: at });
    log.debug("d");
    log.with({ component: "informer" }).warn("w");
    expect(lines).toEqual([
      '{"time":"2026-01-02T03:04:05.000Z","level":"debug","msg":"d"}',
      '{"time":"2026-01-02T03:04:05.000Z","level":"warn","msg":"w","component":"informer"}',
    ]);
  });
});
