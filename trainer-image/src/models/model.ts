// What every architecture in the registry is: named weights plus a forward pass from prepared inputs to 2 logits.
import type * as tf from "@tensorflow/tfjs";
import type { ModelInputs } from "./layers/inputs.ts";
import type { ParamStore } from "./layers/params.ts";
import type { ForwardContext } from "./layers/context.ts";
import type { Dims } from "../common/batch.ts";
import type { MODALITIES, MODELS, MODEL_SIZES, POOLER_ACTIVATIONS } from "../../../api/v1alpha1/spec.ts";

export type ModelName = (typeof MODELS)[number];
export type ModelSize = (typeof MODEL_SIZES)[number];
export type PoolerActivation = (typeof POOLER_ACTIVATIONS)[number];
export type Modality = (typeof MODALITIES)[number];

/** training.freeze as the model holds it: per stream, the embeddings plus this many first layers are fixed; null: it all trains. */
export interface FrozenLayers {
  text: number | null;
  visual: number | null;
}

/** The frozen parts' outputs for a batch ([B, T, Ht] and [B, R + 1, Hv]), for streams that have a frozen part. */
export interface FrozenOutputs {
  text?: tf.Tensor3D;
  visual?: tf.Tensor3D;
}

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
  /** what the model classifies from (architecture.config.modalities; a config recorded without it: both) */
  readonly modalities: readonly Modality[];
  /** -> logits [B, 2] (class 1 = hateful); inputs carrying frozen outputs (textHidden, visualHidden) skip those parts */
  logits(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D;
  /** which parts are frozen (none until `freeze`) */
  readonly frozen: FrozenLayers;
  /** marks the parts as not trainable; throws naming the training.freeze field when a part cannot be frozen */
  freeze(layers: FrozenLayers): void;
  /** the frozen parts' outputs, computed without dropout, as the cache keeps them */
  frozenOutputs(inputs: ModelInputs): FrozenOutputs;
  dispose(): void;
}

export function parameterCount(model: Model): { total: number; trainable: number } {
  return model.params.count();
}
