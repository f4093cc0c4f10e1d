// The MemeSweep status, written only by the operator. It is also the search's memory: each trial's parameters are
// recorded here before the trial exists, so a restarted operator re-creates exactly the recorded trial. Bounded by
// construction: compact entries, at most spec.budget.maxTrials of them, texts bounded in bytes (text()), so that
// sweep-status-budget.ts can tell from a spec the largest status it could ever write.
import { z } from "zod";
import { scalar, str } from "./schema-helpers.ts";
import { condition } from "./status.ts";
import { text } from "./stored-json.ts";
import { MAX_TRIALS } from "./sweep-limits.ts";

export const SWEEP_PHASES = ["Pending", "Running", "Suspended", "Succeeded", "Failed"] as const;
export const TRIAL_PHASES = ["Pending", "Queued", "Running", "Succeeded", "Failed", "Infeasible", "Evicted", "MetricsMissing", "Pruned"] as const;
/** Trial phases that end a trial for good (Evicted is re-run while its reruns last). */
export const FINAL_TRIAL_PHASES = ["Succeeded", "Failed", "Infeasible", "MetricsMissing", "Pruned"] as const;
export const MAX_TRIAL_MESSAGE = 256;
export const MAX_TRIAL_REASON = 128;
/** A sweep's condition messages: a refused spec's problems fit, 16 metav1 conditions of 32 KiB would not. */
export const MAX_CONDITION_MESSAGE = 4096;

const time = () => z.string().max(64).describe("RFC 3339 time");
const parameters = () => z.record(str(200), scalar()).describe("path -> value");

export const sweepTrial = z.strictObject({
  name: text(63, 1),
  index: z.int().min(0).max(MAX_TRIALS - 1),
  parameters: parameters(),
  phase: z.enum(TRIAL_PHASES),
  value: z.number().optional().describe("the trial's best objective value"),
  epoch: z.int().min(1).optional().describe("the epoch of that value (of the pruning decision, for Pruned)"),
  reason: text(MAX_TRIAL_REASON).optional(),
  message: text(MAX_TRIAL_MESSAGE).optional(),
  judgedEpoch: z.int().min(0).optional().describe("the last epoch the early-stopping rule judged (each epoch is judged once, none skipped)"),
  reruns: z.int().min(0).optional().describe("times the trial was re-created after an eviction"),
  evictedUid: text(64).optional().describe("the evicted trial object being replaced (its uid), so it is replaced once"),
});

const counts = z.strictObject(Object.fromEntries(TRIAL_PHASES.map((p) => [p[0]!.toLowerCase() + p.slice(1), z.int().min(0)])) as Record<string, z.ZodInt>);

/** The sweep writes six condition types; its messages are bounded in bytes. */
const sweepCondition = condition.extend({ reason: condition.shape.reason.max(128), message: text(MAX_CONDITION_MESSAGE) });

export const memeSweepStatus = z.strictObject({
  phase: z.enum(SWEEP_PHASES).optional(),
  observedGeneration: z.int().min(0).optional(),
  conditions: z.array(sweepCondition).max(8).meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] }).optional(),
  trialsCreated: z.int().min(0).optional().describe("trials whose parameters were drawn (the next index)"),
  running: z.int().min(0).optional().describe("trials pending, queued or running (the printer column)"),
  counts: counts.partial().optional().describe("trials by phase"),
  bestTrial: z
    .strictObject({
      name: str(63),
      parameters: parameters(),
      value: z.number(),
      epoch: z.int().min(1).optional(),
      mlflowRunUrl: z.string().max(2048).optional(),
    })
    .optional(),
  trials: z.array(sweepTrial).max(MAX_TRIALS).optional(),
  mlflow: z
    .strictObject({
      runId: str(64),
      url: z.string().max(2048).optional(),
      closed: z.boolean().optional().describe("the run was ended with the sweep (and its trials table uploaded)"),
    })
    .optional()
    .describe("the sweep's MLflow parent run: each trial's run is its child (mlflow.parentRunId)"),
  startTime: time().optional(),
  completionTime: time().optional(),
});

export type MemeSweepStatus = z.infer<typeof memeSweepStatus>;
export type SweepTrial = z.infer<typeof sweepTrial>;
export type TrialPhase = SweepTrial["phase"];
export type SweepPhase = NonNullable<MemeSweepStatus["phase"]>;
/** counts' key of a trial phase: metricsMissing for MetricsMissing. */
export const countKey = (p: TrialPhase) => p[0]!.toLowerCase() + p.slice(1);
