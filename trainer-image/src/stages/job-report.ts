// What the trainer in a Job tells the operator, shaped by the operator's own schema (api/contract/reports.ts)
// before it is sent. A metric without a value (AUROC of a one-class split, NaN here) is left out of its epoch or test
// results with its reason (reportedEpoch, reportedTest), so the rest still arrive; a field the schema refuses anyway
// is left out whole and the log says which.
// Progress goes out in order, one report at a time: stage starts and epoch ends always; reports within an epoch at
// most every `intervalMs`, and only when the previous one has been delivered (a training epoch runs without
// yielding, so reports made during it leave when it yields; stale ones are not piled up).
import type { Reporter } from "./reporter.ts";
import { progressReport, reportedEpoch, reportedTest, resultReport, type ProgressReport, type ResultReport } from "../../../api/contract/reports.ts";
import type { TrainEvent } from "../training/loop.ts";
import type { RunResults } from "./results.ts";
import type { Stage } from "../../../api/contract/stages.ts";
import type { JsonLogger } from "../../../api/contract/log.ts";

type Progress = Omit<ProgressReport, "kind">;

export class ProgressSender {
  private chain: Promise<unknown> = Promise.resolve();
  private midEpochPending = false;
  private lastMidEpoch = -Infinity;
  private totalEpochs: number | undefined;
  private stepsPerEpoch = 0;

  constructor(
    private readonly reporter: Pick<Reporter, "progress">,
    private readonly log: JsonLogger,
    private readonly o: { intervalMs?: number; now?: () => number } = {},
  ) {}

  stage(stage: Stage, message: string): void {
    this.send({ stage, message: message.slice(0, 1024) });
  }

  /** Feeds on training events. */
  onTrainEvent(e: TrainEvent): void {
    const now = (this.o.now ?? Date.now)();
    if (e.type === "start") {
      this.totalEpochs = e.epochs;
      this.stepsPerEpoch = e.stepsPerEpoch;
      const from = e.resumedAfterEpoch ?? 0;
      this.send({ stage: "train", epoch: from, totalEpochs: e.epochs, message: from ? `resumed after epoch ${from}` : "training started" });
    } else if (e.type === "step") {
      if (this.midEpochPending || now - this.lastMidEpoch < (this.o.intervalMs ?? 10_000)) return;
      this.lastMidEpoch = now;
      this.midEpochPending = true;
      this.send(
        { stage: "train", epoch: e.epoch, ...this.total(), message: `epoch ${e.epoch}: step ${e.batch} of ${this.stepsPerEpoch}, ${e.samplesPerSecond.toFixed(0)} samples/s` },
        () => (this.midEpochPending = false),
      );
    } else if (e.type === "epoch") {
      const m = e.metrics;
      this.send({ stage: "train", epoch: m.epoch, ...this.total(), epochMetrics: reportedEpoch(m), message: `epoch ${m.epoch} done${e.improved ? " (best so far)" : ""}` });
    }
  }

  /** Resolves when every report queued so far has been tried. */
  drained(): Promise<void> {
    return this.chain.then(() => undefined);
  }

  private total() {
    return this.totalEpochs === undefined ? {} : { totalEpochs: this.totalEpochs };
  }

  private send(p: Progress, after?: () => void): void {
    const report = conform(progressReport, { kind: "progress", ...p }, this.log);
    this.chain = this.chain.then(() => (report ? this.reporter.progress(report) : false)).finally(after);
  }
}

/** The final result of the stages this Job ran, in the operator's schema (fields it would refuse are left out). */
export function resultOf(r: RunResults, log: JsonLogger): Omit<ResultReport, "kind"> | undefined {
  const report = conform(resultReport, {
    kind: "result",
    ...(r.test && { test: reportedTest(r.test) }),
    ...(r.checks && { checks: r.checks }),
    ...(r.checkpointUri && { checkpointUri: r.checkpointUri }),
    ...(r.bestEpoch !== undefined && { bestEpoch: r.bestEpoch }),
    ...(Number.isFinite(r.bestValAuroc) && { bestValAuroc: r.bestValAuroc }),
  }, log);
  if (!report) return undefined;
  const { kind: _kind, ...rest } = report;
  return rest;
}

interface Schema<T> {
  safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

/** The report if the schema takes it; else without the top-level fields it refuses (each named in a warning). */
function conform<T>(schema: Schema<T>, report: Record<string, unknown>, log: JsonLogger): T | undefined {
  let candidate = { ...report };
  for (let tries = 0; tries < 8; tries++) {
    const r = schema.safeParse(candidate);
    if (r.success) return r.data;
    const fields = new Set(r.error.issues.map((i) => String(i.path[0])));
    if (fields.has("kind") || fields.has("stage") || fields.has("undefined")) break;
    for (const i of r.error.issues) {
      log.warn(`report field ${String(i.path[0])} left out: ${i.path.map(String).join(".")}: ${i.message}`, { metric: String(i.path.at(-1)) });
    }
    candidate = Object.fromEntries(Object.entries(candidate).filter(([k]) => !fields.has(k)));
  }
  log.error(`report not sent: it does not fit the operator's schema: ${JSON.stringify(report).slice(0, 500)}`);
  return undefined;
}
