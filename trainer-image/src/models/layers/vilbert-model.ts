// What every ViLBERT variant shares around its backbone: its parameters, architecture record, pooler activation,
// modalities and the freeze plumbing. A variant adds only its classification head and `logits`.
import type * as tf from "@tensorflow/tfjs";
import { ParamStore } from "./params.ts";
import { ViLBERTBackbone, poolerActivationOf, withModalities, type ViLBERTConfig } from "./vilbert-backbone.ts";
import type { ModelInputs } from "./inputs.ts";
import type { ForwardContext } from "./context.ts";
import type { Architecture, FrozenLayers, FrozenOutputs, Model, Modality, ModelName, ModelSize, PoolerActivation } from "../model.ts";
import type { Dims } from "../../common/batch.ts";

export abstract class ViLBERTModel<C extends ViLBERTConfig & { initializerRange: number }> implements Model {
  readonly params: ParamStore;
  readonly architecture: Architecture;
  readonly backbone: ViLBERTBackbone;
  readonly poolerActivation: PoolerActivation;
  readonly modalities: readonly Modality[];

  constructor(name: ModelName, size: ModelSize, dims: Dims, seed: number, readonly config: C) {
    this.architecture = { name, size, dims, config: withModalities(config) };
    this.poolerActivation = poolerActivationOf(config);
    this.params = new ParamStore(seed, config.initializerRange);
    this.backbone = new ViLBERTBackbone(this.params, config, dims.D);
    this.modalities = this.backbone.modalities;
  }

  abstract logits(x: ModelInputs, ctx: ForwardContext): tf.Tensor2D;

  get frozen(): FrozenLayers {
    return this.backbone.frozen;
  }

  freeze(layers: FrozenLayers): void {
    this.backbone.freeze(layers, `${this.architecture.name}/${this.architecture.size}`);
  }

  frozenOutputs(x: ModelInputs): FrozenOutputs {
    return this.backbone.frozenOutputs(x);
  }

  dispose(): void {
    this.params.dispose();
  }
}
