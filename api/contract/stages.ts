// Which stages an experiment runs, in order: a pure function of the spec, shared by `memeops run` and the operator.
import type { MemeExperimentSpec } from "../v1alpha1/spec.ts";

export const STAGES = ["prepare", "train", "evaluate", "predict"] as const;
export type Stage = (typeof STAGES)[number];

export function stagesFor(spec: Pick<MemeExperimentSpec, "mode">): Stage[] {
  switch (spec.mode) {
    case "train":
      return ["prepare", "train", "evaluate"];
    case "evaluate":
      return ["prepare", "evaluate"];
    case "predict":
      return ["prepare", "predict"];
  }
}

/** What each stage will do with this spec, in order: what `memeops run --dry-run` prints. */
export function describePlan(spec: MemeExperimentSpec): { stage: Stage; text: string }[] {
  const source = Object.entries(spec.dataset.source).find(([, v]) => v !== undefined);
  const weights = spec.model.initialWeights;
  const start = weights?.uri ?? (weights?.fromExperiment ? `the best checkpoint of experiment ${weights.fromExperiment}` : "random weights");
  const what: Record<Stage, string> = {
    prepare:
      `load the ${source?.[0]} dataset (splits ${Object.values(spec.dataset.splits).join("/")}), clean text` +
      `${spec.dataset.captions.enabled ? ", add BLIP captions" : ""}, tokenize to ${spec.training.maxSequenceLength} tokens, ` +
      `extract ${spec.features.regions} ${spec.features.extractor} regions per image`,
    train:
      `train ${spec.model.name} (${spec.model.size}) from ${start} for up to ${spec.training.epochs} epochs ` +
      `(batch ${spec.training.batchSize}, lr ${spec.training.learningRate}, ${spec.training.loss.type} loss, ` +
      `early stopping on ${spec.training.earlyStopping.metric} with patience ${spec.training.earlyStopping.patience}, seed ${spec.training.seed})`,
    evaluate: `evaluate ${spec.mode === "train" ? "the best epoch" : start} on the ${spec.dataset.splits.test} split and run the seven prediction checks`,
    predict: `predict the ${spec.dataset.splits.test} split with ${start} and run the prediction checks`,
  };
  return stagesFor(spec).map((stage) => ({ stage, text: what[stage] }));
}
