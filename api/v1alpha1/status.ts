// The MemeExperiment status, written only by the operator. Bounded by construction: the per-epoch list keeps the
// last MAX_EPOCH_HISTORY epochs (MLflow holds the full history), so the object stays far below etcd's limit.
import { z } from "zod";
import { str } from "./schema-helpers.ts";

export const PHASES = ["Pending", "Queued", "Suspended", "Preparing", "Training", "Evaluating", "Succeeded", "Failed", "Pruned"] as const;
export const MAX_EPOCH_HISTORY = 50;
/** Why a sweep stopped a trial (status.pruned.rule): an early-stopping rule, or the sweep's own end. */
export const PRUNE_RULES = ["median", "asha", "stopped"] as const;
export const CHECK_NAMES = [
  "no_null_predictions",
  "valid_binary_predictions",
  "valid_probability_range",
  "no_null_probabilities",
  "prediction_count",
  "class_distribution",
  "better_than_random",
] as const;

/** Lists keyed by one field, so server-side apply merges entries instead of replacing the list. */
const listMap = (key: string) => ({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": [key] });
const time = () => z.string().max(64).describe("RFC 3339 time");
const metric = () => z.number();

export const condition = z.strictObject({
  type: str(316),
  status: z.enum(["True", "False", "Unknown"]),
  reason: z.string().max(1024).regex(/^([A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?)?$/, "must be CamelCase"),
  message: z.string().max(32768),
  lastTransitionTime: time(),
  observedGeneration: z.int().min(0).optional(),
});

/** Why a metric is absent: it has no value for that epoch or split (AUROC of a split with one class, a diverged loss). */
const reason = () => z.string().max(256).optional();

// A metric without a value (the trainer measures NaN) is left out and its reason given, so an epoch carries every
// metric it has instead of being refused whole.
export const epochMetrics = z.strictObject({
  epoch: z.int().min(1),
  trainLoss: metric().optional(),
  valLoss: metric().optional(),
  valAuroc: metric().describe("absent when the validation split holds one class: undefinedBecause.valAuroc says so").optional(),
  valAccuracy: metric().optional(),
  valF1: metric().optional(),
  undefinedBecause: z
    .strictObject({ trainLoss: reason(), valLoss: reason(), valAuroc: reason(), valAccuracy: reason(), valF1: reason() })
    .describe("why each metric left out of this epoch has no value")
    .optional(),
});

export const confusionMatrix = z.strictObject({
  tp: z.int().min(0),
  tn: z.int().min(0),
  fp: z.int().min(0),
  fn: z.int().min(0),
});

export const testResults = z.strictObject({
  auroc: metric().describe("absent when the test split holds one class: undefinedBecause.auroc says so").optional(),
  accuracy: metric(),
  precision: metric(),
  recall: metric(),
  f1: metric(),
  loss: metric().optional(),
  threshold: metric(),
  samples: z.int().min(0),
  confusionMatrix,
  undefinedBecause: z.strictObject({ auroc: reason(), loss: reason() }).describe("why auroc or loss has no value").optional(),
});

export const checkResult = z.strictObject({
  name: z.enum(CHECK_NAMES),
  passed: z.boolean(),
  value: metric().optional(),
  threshold: metric().optional(),
  message: z.string().max(1024),
});

export const memeExperimentStatus = z.strictObject({
  phase: z.enum(PHASES).optional(),
  observedGeneration: z.int().min(0).optional(),
  conditions: z.array(condition).max(16).meta(listMap("type")).optional(),
  progress: z
    .strictObject({
      stage: z.enum(["prepare", "train", "evaluate", "predict"]),
      epoch: z.int().min(0).optional(),
      totalEpochs: z.int().min(0).optional(),
      message: z.string().max(1024).optional(),
      updateTime: time().optional(),
    })
    .optional(),
  epochs: z.array(epochMetrics).max(MAX_EPOCH_HISTORY).optional(),
  bestEpoch: z.int().min(1).optional(),
  bestValAuroc: metric().optional(),
  test: testResults.optional(),
  checks: z.array(checkResult).max(CHECK_NAMES.length).meta(listMap("name")).optional(),
  mlflow: z.strictObject({ runId: str(64), url: z.string().max(2048).optional() }).optional(),
  checkpointUri: z.string().max(2048).optional(),
  jobs: z.array(z.strictObject({ stage: str(32), name: str(63) })).max(8).meta(listMap("stage")).optional(),
  startTime: time().optional().describe("when the first Job started (its startTime), recorded once the experiment has left Pending"),
  completionTime: time().optional(),
  pruned: z
    .strictObject({
      rule: z.enum(PRUNE_RULES).describe("stopped: the sweep itself ended (goal, failures, time)"),
      epoch: z.int().min(0),
      value: metric().optional(),
      threshold: metric().optional(),
      compared: z.int().min(0),
      message: z.string().max(1024),
    })
    .optional()
    .describe("why the trial's sweep stopped it (phase Pruned): the rule, the epoch, the trial's value and the threshold it missed"),
  failure: z
    .strictObject({
      reason: str(128),
      message: z.string().max(4096),
      exitCode: z.int().optional(),
      stage: z.string().max(32).optional(),
    })
    .optional(),
});

export type MemeExperimentStatus = z.infer<typeof memeExperimentStatus>;
export type Condition = z.infer<typeof condition>;
/** An epoch as the status holds it: a metric without a value is absent, with its reason. */
export type ReportedEpochMetrics = z.infer<typeof epochMetrics>;
/** Test results as the status holds them: auroc absent when it has no value, with its reason. */
export type ReportedTestResults = z.infer<typeof testResults>;
/** An epoch as the trainer measures it: every metric a number, NaN where it has none (operator/reporting converts). */
export type EpochMetrics = Required<Omit<ReportedEpochMetrics, "undefinedBecause">> & Pick<ReportedEpochMetrics, "undefinedBecause">;
/** Test results as the trainer measures them: auroc NaN when it has no value (a split with one class). */
export type TestResults = Omit<ReportedTestResults, "auroc"> & { auroc: number };
export type CheckResult = z.infer<typeof checkResult>;
