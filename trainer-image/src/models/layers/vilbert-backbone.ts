// The part every ViLBERT variant shares (`bert.*` in the published checkpoints): both streams' embeddings, the
// two-stream encoder and the two poolers (text [CLS] and whole-image region, each -> biHidden, then tanh or ReLU).
// The architectures differ in how they fuse the pooled pair and in their heads (see vilbert-facebook.ts, vilbert-hf.ts).
import type * as tf from "@tensorflow/tfjs";
import { TextEmbeddings, VisualEmbeddings } from "./embeddings.ts";
import { TwoStreamEncoder, type TwoStreamShape } from "./two-stream-encoder.ts";
import { Pooler } from "./pooler.ts";
import type { ModelInputs } from "./inputs.ts";
import type { ParamStore } from "./params.ts";
import type { ForwardContext } from "./context.ts";
import type { PoolerActivation } from "../model.ts";

export interface ViLBERTConfig extends TwoStreamShape {
  vocabSize: number;
  maxPositions: number;
  typeVocabSize: number;
  /** LayerNorm on the region-feature projection before adding the box projection */
  visualFeatureNorm: boolean;
  /** std of the initial weights: BERT's 0.02 at base; see `initializerRange` for the narrow presets */
  initializerRange: number;
  /** the poolers' activation; absent in configs recorded before it was a setting (see `poolerActivationOf`) */
  poolerActivation?: PoolerActivation;
}

/**
 * What a config's poolers apply. A config recorded without the setting (checkpoints written before it existed)
 * reads as tanh, what memeops' poolers computed then, so such checkpoints keep giving the same outputs.
 */
export function poolerActivationOf(c: { poolerActivation?: PoolerActivation }): PoolerActivation {
  return c.poolerActivation ?? "tanh";
}

export class ViLBERTBackbone {
  readonly textEmbeddings: TextEmbeddings;
  readonly visualEmbeddings: VisualEmbeddings;
  readonly encoder: TwoStreamEncoder;
  readonly textPooler: Pooler;
  readonly visualPooler: Pooler;

  constructor(p: ParamStore, c: ViLBERTConfig, featureSize: number) {
    this.textEmbeddings = new TextEmbeddings(p, "bert.embeddings", {
      vocabSize: c.vocabSize, maxPositions: c.maxPositions, typeVocabSize: c.typeVocabSize,
      hidden: c.text.hidden, dropout: c.text.hiddenDropout,
    });
    this.visualEmbeddings = new VisualEmbeddings(p, "bert.v_embeddings", {
      featureSize, hidden: c.visual.hidden, dropout: c.visual.hiddenDropout, featureNorm: c.visualFeatureNorm,
    });
    this.encoder = new TwoStreamEncoder(p, "bert.encoder", c);
    const activation = poolerActivationOf(c);
    this.textPooler = new Pooler(p, "bert.t_pooler", c.text.hidden, c.bi.biHidden, activation);
    this.visualPooler = new Pooler(p, "bert.v_pooler", c.visual.hidden, c.bi.biHidden, activation);
  }

  /** -> [pooled text, pooled visual], each [B, biHidden] */
  apply(x: ModelInputs, ctx: ForwardContext): [tf.Tensor, tf.Tensor] {
    const text = this.textEmbeddings.apply(x.inputIds, x.tokenTypeIds, ctx);
    const visual = this.visualEmbeddings.apply(x.features, x.boxes, ctx);
    const [t, v] = this.encoder.apply(text, x.textMask, visual, x.visualMask, ctx);
    return [this.textPooler.apply(t), this.visualPooler.apply(v)];
  }
}

/**
 * BERT's 0.02 scaled by sqrt(768 / hidden): a dense layer's output then starts with BERT-base's scale
 * (std ~0.55 per unit) instead of shrinking with the width. Narrow models with 0.02 start almost linear, with
 * near-uniform attention, and learned the XOR toy task (an interaction of both modalities) far more slowly.
 */
export function initializerRange(textHidden: number): number {
  return 0.02 * Math.sqrt(768 / textHidden);
}

/** Stream settings shared by the size presets: BERT's dropouts and attention width = hidden size. */
export function stream(layers: number, hidden: number, heads: number, intermediate: number) {
  return { layers, hidden, heads, intermediate, attentionSize: hidden, hiddenDropout: 0.1, attentionDropout: 0.1 };
}
