// What a trainer reports, one schema for both paths: the HTTP endpoint (live progress and results) and the
// container's termination message (final results, so they survive a lost POST or a garbage-collected pod).
import { z } from "zod";
import {
  checkResult, epochMetrics, MAX_EPOCH_HISTORY, testResults,
  type EpochMetrics, type MemeExperimentStatus, type ReportedEpochMetrics, type ReportedTestResults, type TestResults,
} from "../v1alpha1/status.ts";
import { STAGES } from "./stages.ts";

/** Where the operator takes reports (POST, with the pod's projected token as the bearer). */
export const REPORT_PATH = "/v1/report";

export const progressReport = z.strictObject({
  kind: z.literal("progress"),
  stage: z.enum(STAGES),
  epoch: z.int().min(0).optional(),
  totalEpochs: z.int().min(0).optional(),
  message: z.string().max(1024).optional(),
  /** set when an epoch has just finished */
  epochMetrics: epochMetrics.optional(),
});

export const resultReport = z.strictObject({
  kind: z.literal("result"),
  test: testResults.optional(),
  checks: z.array(checkResult).max(16).optional(),
  checkpointUri: z.string().max(2048).optional(),
  bestEpoch: z.int().min(1).optional(),
  bestValAuroc: z.number().optional(),
});

export const report = z.discriminatedUnion("kind", [progressReport, resultReport]);
export type ProgressReport = z.infer<typeof progressReport>;
export type ResultReport = z.infer<typeof resultReport>;
export type Report = z.infer<typeof report>;

const EPOCH_METRICS = ["trainLoss", "valLoss", "valAuroc", "valAccuracy", "valF1"] as const;
type EpochMetric = (typeof EPOCH_METRICS)[number];

/** What a metric without a value means, when the trainer did not say more. */
const NO_VALUE: Record<EpochMetric | "auroc" | "loss", string> = {
  trainLoss: "the training loss is not a number: training diverged",
  valLoss: "the validation loss is not a number: the model's outputs diverged",
  valAuroc: "AUROC is undefined: the validation split holds one class only, or a probability is not a number",
  valAccuracy: "the validation accuracy is not a number",
  valF1: "the validation F1 is not a number",
  auroc: "AUROC is undefined: the split holds one class only, or a probability is not a number",
  loss: "the loss is not a number",
};

/**
 * An epoch as the trainer measured it, in the status' form: a metric that is not a finite number is left out and its
 * reason given (the trainer's own, else what it means), so the epoch keeps every metric that has a value.
 */
export function reportedEpoch(m: EpochMetrics): ReportedEpochMetrics {
  const out: ReportedEpochMetrics = { epoch: m.epoch };
  const why: NonNullable<ReportedEpochMetrics["undefinedBecause"]> = {};
  for (const k of EPOCH_METRICS) {
    if (Number.isFinite(m[k])) out[k] = m[k];
    else why[k] = (m.undefinedBecause?.[k] ?? NO_VALUE[k]).slice(0, 256);
  }
  return Object.keys(why).length ? { ...out, undefinedBecause: why } : out;
}

/** The other way, for gauges: a metric without a value is NaN. */
export function measuredEpoch(m: ReportedEpochMetrics): EpochMetrics {
  const { undefinedBecause, ...values } = m;
  const nan = Object.fromEntries(EPOCH_METRICS.map((k) => [k, NaN])) as Record<EpochMetric, number>;
  return { ...nan, ...values, ...(undefinedBecause && { undefinedBecause }) };
}

/** Test results in the status' form: auroc and loss without a value are left out, with their reasons. */
export function reportedTest(t: TestResults): ReportedTestResults {
  const { auroc, loss, undefinedBecause, ...rest } = t;
  const why: NonNullable<ReportedTestResults["undefinedBecause"]> = {};
  if (!Number.isFinite(auroc)) why.auroc = (undefinedBecause?.auroc ?? NO_VALUE.auroc).slice(0, 256);
  if (loss !== undefined && !Number.isFinite(loss)) why.loss = (undefinedBecause?.loss ?? NO_VALUE.loss).slice(0, 256);
  return {
    ...rest,
    ...(Number.isFinite(auroc) && { auroc }),
    ...(loss !== undefined && Number.isFinite(loss) && { loss }),
    ...(Object.keys(why).length && { undefinedBecause: why }),
  };
}

/** Kubernetes keeps at most 4096 bytes of a termination message. */
export const TERMINATION_MESSAGE_LIMIT = 4096;

/** The result as a termination message: check messages are dropped first, then the checks, to stay under 4 KB. */
export function terminationMessage(r: ResultReport): string {
  const tries: ResultReport[] = [r, { ...r, checks: r.checks?.map((c) => ({ ...c, message: "" })) }, { ...r, checks: undefined }, { kind: "result", test: r.test }];
  for (const t of tries) {
    const text = JSON.stringify(t);
    if (Buffer.byteLength(text) < TERMINATION_MESSAGE_LIMIT) return text;
  }
  return JSON.stringify({ kind: "result" });
}

/** A termination message back into a result; anything else (e.g. the log tail of a crash) is not one. */
export function parseTerminationMessage(text: string | undefined): ResultReport | undefined {
  if (!text || !text.trimStart().startsWith("{")) return undefined;
  try {
    const r = resultReport.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

type ReportedFields = Pick<MemeExperimentStatus, "progress" | "epochs" | "bestEpoch" | "bestValAuroc" | "test" | "checks" | "checkpointUri">;

/** The status fields a report changes (pure): epochs are kept by number, the last MAX_EPOCH_HISTORY of them. */
export function applyReport(status: MemeExperimentStatus, r: Report, now: string): ReportedFields {
  if (r.kind === "result") {
    return {
      ...(r.test && { test: r.test }),
      ...(r.checks && { checks: r.checks }),
      ...(r.checkpointUri && { checkpointUri: r.checkpointUri }),
      ...(r.bestEpoch !== undefined && { bestEpoch: r.bestEpoch }),
      ...(r.bestValAuroc !== undefined && { bestValAuroc: r.bestValAuroc }),
    };
  }
  const out: ReportedFields = {
    progress: {
      stage: r.stage,
      ...(r.epoch !== undefined && { epoch: r.epoch }),
      ...(r.totalEpochs !== undefined && { totalEpochs: r.totalEpochs }),
      ...(r.message !== undefined && { message: r.message }),
      updateTime: now,
    },
  };
  const m = r.epochMetrics;
  if (m) {
    const epochs = [...(status.epochs ?? []).filter((e) => e.epoch !== m.epoch), m].sort((a, b) => a.epoch - b.epoch).slice(-MAX_EPOCH_HISTORY);
    out.epochs = epochs;
    // epochs without an AUROC (one class in the validation split) are never the best
    const best = epochs.reduce<ReportedEpochMetrics | undefined>((b, e) => (e.valAuroc !== undefined && (b === undefined || e.valAuroc > b.valAuroc!) ? e : b), undefined);
    if (best && (status.bestValAuroc === undefined || best.valAuroc! >= status.bestValAuroc)) {
      out.bestEpoch = best.epoch;
      out.bestValAuroc = best.valAuroc!;
    }
  }
  return out;
}
