// The names the trainer logs and the operator/dashboards read back. One place, so a rename is one edit.

/** Tag that binds an MLflow run to the Kubernetes object that owns it (makes run creation idempotent). */
export const OWNER_UID_TAG = "memeops.io/owner-uid";
/** MLflow's own tag for the run name (shown by the UI). */
export const RUN_NAME_TAG = "mlflow.runName";

export const PARAM = {
  modelTotalParams: "model_total_params",
  modelTrainableParams: "model_trainable_params",
  backend: "backend",
  device: "device",
  extractor: "extractor",
  model: "model",
  datasetSource: "dataset_source",
  datasetHash: "dataset_hash",
} as const;

/** Per-epoch metrics, logged with step = epoch. */
export const EPOCH_METRIC = {
  trainLoss: "train_loss",
  valLoss: "val_loss",
  valAuroc: "val_auroc",
  valAccuracy: "val_accuracy",
  valF1: "val_f1",
} as const;

/** Test-set metrics, logged once at the end. */
export const TEST_METRIC = {
  auroc: "test_auroc",
  accuracy: "test_accuracy",
  precision: "test_precision",
  recall: "test_recall",
  f1: "test_f1",
} as const;

/** Confusion counts on the test set. */
export const CONFUSION_METRIC = { tp: "tp", tn: "tn", fp: "fp", fn: "fn" } as const;

/** Prediction checks are logged as validation_<check> = 1 (passed) or 0 (failed). */
export const VALIDATION_PREFIX = "validation_";
export function validationMetricName(check: string): string {
  return `${VALIDATION_PREFIX}${check}`;
}

/** The checks the seed project ran on predictions, as the API names them. */
export { CHECK_NAMES as PREDICTION_CHECKS } from "../api/v1alpha1/status.ts";

export type RunStatus = "RUNNING" | "SCHEDULED" | "FINISHED" | "FAILED" | "KILLED";
export type TerminalStatus = "FINISHED" | "FAILED" | "KILLED";
