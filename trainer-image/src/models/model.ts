// What every architecture in the registry is: named weights plus a forward pass from prepared inputs to 2 logits.
import type * as tf from "@tensorflow/tfjs";
import type { ModelInputs } from "./layers/inputs.ts";
import type { ParamStore } from "./layers/params.ts";
import type { ForwardContext } from "./layers/context.ts";
import type { Dims } from "../common/batch.ts";
import type { MODELS, MODEL_SIZES, POOLER_ACTIVATIONS } from "../../../api/v1alpha1/spec.ts";

export type ModelName = (typeof MODELS)[number];
export type ModelSize = (typeof MODEL_SIZES)[number];
export type PoolerActivation = (typeof POOLER_ACTIVATIONS)[number];

/** What a checkpoint records so it can only be loaded into the same architecture. */
export interface Architecture {
  name: ModelName;
  size: ModelSize;
  dims: Dims;
  /** the resolved hyperparameters (a preset, possibly overridden) */
  config: unknown;
}

export interface Model {
  readonly architecture: Architecture;
  readonly params: ParamStore;
  /** what both poolers apply (architecture.config.poolerActivation; a config recorded without it: tanh) */
  readonly poolerActivation: PoolerActivation;
  /** -> logits [B, 2] (class 1 = hateful) */
  logits(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D;
  dispose(): void;
}

export function parameterCount(model: Model): { total: number; trainable: number } {
  return model.params.count();
}
