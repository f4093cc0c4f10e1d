// What a trainer reports, one schema for both paths: the HTTP endpoint (live progress and results) and the
// container's termination message (final results, so they survive a lost POST or a garbage-collected pod).
import { z } from "zod";
import { checkResult, epochMetrics, MAX_EPOCH_HISTORY, testResults, type MemeExperimentStatus } from "../../api/v1alpha1/status.ts";
import { STAGES } from "../../trainer-image/src/stages/plan.ts";

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
    const best = epochs.reduce((b, e) => (e.valAuroc > b.valAuroc ? e : b));
    out.epochs = epochs;
    if (status.bestValAuroc === undefined || best.valAuroc >= status.bestValAuroc) {
      out.bestEpoch = best.epoch;
      out.bestValAuroc = best.valAuroc;
    }
  }
  return out;
}
