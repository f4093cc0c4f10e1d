// vilbert_hf: the community ViLBERT variant the original project loaded from the Hugging Face hub. Same two-stream
// backbone and presets as vilbert_facebook; it differs where the multi-task release differs from the paper's
// classification setup, which is what community ports copy:
//   visual embeddings  LayerNorm on the region-feature projection before adding the box projection
//   fusion             elementwise product of the pooled text and visual vectors (biHidden), dropout; a
//                      one-modality model passes its one pooled vector on
//   head               vilbert-multi-task SimpleClassifier: biHidden -> 2*biHidden -> GeLU -> LayerNorm -> 2
//   poolers            tanh (memeops' choice since the first version; the quickstart's learning proof runs on it).
//                      The community weights are Facebook's files (docs/weights.md), trained with ReLU poolers:
//                      set poolerActivation relu to match them; a load into tanh poolers is reported as a warning.
// Weight names: the head is `vil_prediction.logit_fc.{0,2,3}` as in that release.
import type * as tf from "@tensorflow/tfjs";
import { fusePooled } from "./layers/fuse.ts";
import type { ViLBERTConfig } from "./layers/vilbert-backbone.ts";
import { ViLBERTModel } from "./layers/vilbert-model.ts";
import { Dense } from "./layers/dense.ts";
import { LayerNorm } from "./layers/layer-norm.ts";
import { dropout } from "./layers/dropout.ts";
import { gelu } from "./layers/gelu.ts";
import { PRESETS as FACEBOOK_PRESETS } from "./vilbert-facebook.ts";
import type { ModelInputs } from "./layers/inputs.ts";
import type { ForwardContext } from "./layers/context.ts";
import type { ModelSize } from "./model.ts";
import type { Dims } from "../common/batch.ts";

export interface HfViLBERTConfig extends ViLBERTConfig {
  fusionDropout: number;
}

const presetFor = (size: ModelSize): HfViLBERTConfig => {
  const { headHidden: _h, headDropout: _d, ...backbone } = FACEBOOK_PRESETS[size];
  return { ...backbone, visualFeatureNorm: true, poolerActivation: "tanh", fusionDropout: 0.1 };
};

export const PRESETS: Record<ModelSize, HfViLBERTConfig> = {
  base: presetFor("base"),
  small: presetFor("small"),
  tiny: presetFor("tiny"),
  minilm: presetFor("minilm"),
};

export class HfViLBERT extends ViLBERTModel<HfViLBERTConfig> {
  readonly headIn: Dense;
  readonly headNorm: LayerNorm;
  readonly headOut: Dense;

  constructor(size: ModelSize, dims: Dims, seed: number, config: HfViLBERTConfig = PRESETS[size]) {
    super("vilbert_hf", size, dims, seed, config);
    const bi = config.bi.biHidden;
    this.headIn = new Dense(this.params, "vil_prediction.logit_fc.0", bi, 2 * bi);
    this.headNorm = new LayerNorm(this.params, "vil_prediction.logit_fc.2", 2 * bi);
    this.headOut = new Dense(this.params, "vil_prediction.logit_fc.3", 2 * bi, 2);
  }

  logits(x: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const fused = dropout(fusePooled(this.backbone.apply(x, ctx), (t, v) => t.mul(v)), this.config.fusionDropout, ctx); // [B, biHidden]
    return this.headOut.apply(this.headNorm.apply(gelu(this.headIn.apply(fused)))) as tf.Tensor2D;
  }
}
