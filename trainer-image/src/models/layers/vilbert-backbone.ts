// The part every ViLBERT variant shares (`bert.*` in the published checkpoints): both streams' embeddings, the
// two-stream encoder and the two poolers (text [CLS] and whole-image region, each -> biHidden, then tanh or ReLU).
// The architectures differ in how they fuse the pooled pair and in their heads (see vilbert-facebook.ts, vilbert-hf.ts).
// A one-modality backbone (config.modalities [text] or [image]) has only that stream's embeddings, layers and pooler.
import * as tf from "@tensorflow/tfjs";
import { TextEmbeddings, VisualEmbeddings } from "./embeddings.ts";
import { TwoStreamEncoder, type TwoStreamShape } from "./two-stream-encoder.ts";
import { Pooler } from "./pooler.ts";
import { ForwardContext } from "./context.ts";
import { checkFrozenLayers, frozenParameterNames } from "./frozen-parts.ts";
import type { ModelInputs } from "./inputs.ts";
import type { ParamStore } from "./params.ts";
import type { FrozenLayers, FrozenOutputs, Modality, PoolerActivation } from "../model.ts";

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
  /** the streams the model has; absent in configs recorded before it was a setting: both */
  modalities?: Modality[];
}

/**
 * What a config's poolers apply. A config recorded without the setting (checkpoints written before it existed)
 * reads as tanh, what memeops' poolers computed then, so such checkpoints keep giving the same outputs.
 */
export function poolerActivationOf(c: { poolerActivation?: PoolerActivation }): PoolerActivation {
  return c.poolerActivation ?? "tanh";
}

export function modalitiesOf(c: { modalities?: readonly Modality[] }): Modality[] {
  return [...(c.modalities ?? ["text", "image"])];
}

/** A config as checkpoints record it: its modalities spelled out, so one written before the setting compares equal. */
export function withModalities<C extends object>(c: C): C & { modalities: Modality[] } {
  return { ...c, modalities: modalitiesOf(c as { modalities?: readonly Modality[] }) };
}

/** Dropout off: frozen parts always run this way, cached or not, so the two give the same values. */
const FROZEN = new ForwardContext(false);

export class ViLBERTBackbone {
  readonly textEmbeddings: TextEmbeddings | null;
  readonly visualEmbeddings: VisualEmbeddings | null;
  readonly encoder: TwoStreamEncoder;
  readonly textPooler: Pooler | null;
  readonly visualPooler: Pooler | null;
  readonly modalities: Modality[];
  frozen: FrozenLayers = { text: null, visual: null };

  constructor(private readonly p: ParamStore, private readonly c: ViLBERTConfig, featureSize: number) {
    this.modalities = modalitiesOf(c);
    const text = this.modalities.includes("text");
    const image = this.modalities.includes("image");
    this.textEmbeddings = text
      ? new TextEmbeddings(p, "bert.embeddings", {
        vocabSize: c.vocabSize, maxPositions: c.maxPositions, typeVocabSize: c.typeVocabSize,
        hidden: c.text.hidden, dropout: c.text.hiddenDropout,
      })
      : null;
    this.visualEmbeddings = image
      ? new VisualEmbeddings(p, "bert.v_embeddings", {
        featureSize, hidden: c.visual.hidden, dropout: c.visual.hiddenDropout, featureNorm: c.visualFeatureNorm,
      })
      : null;
    this.encoder = new TwoStreamEncoder(p, "bert.encoder", c, this.modalities);
    const activation = poolerActivationOf(c);
    this.textPooler = text ? new Pooler(p, "bert.t_pooler", c.text.hidden, c.bi.biHidden, activation) : null;
    this.visualPooler = image ? new Pooler(p, "bert.v_pooler", c.visual.hidden, c.bi.biHidden, activation) : null;
  }

  /** Marks the frozen parts' parameters not trainable (see frozen-parts.ts for what may be frozen). */
  freeze(layers: FrozenLayers, label: string): void {
    checkFrozenLayers(layers, this.c, this.modalities, label);
    for (const v of this.p.variables.values()) v.trainable = true;
    for (const name of frozenParameterNames(this.p, layers)) this.p.variables.get(name)!.trainable = false;
    this.frozen = { ...layers };
  }

  /** The text stream's embeddings then its first `layers` layers. */
  private textPart(x: ModelInputs, layers: number, ctx: ForwardContext): tf.Tensor {
    let t = this.textEmbeddings!.apply(x.inputIds, x.tokenTypeIds, ctx);
    for (let i = 0; i < layers; i++) t = this.encoder.textLayers[i]!.apply(t, x.textMask, ctx);
    return t;
  }

  private visualPart(x: ModelInputs, layers: number, ctx: ForwardContext): tf.Tensor {
    let v = this.visualEmbeddings!.apply(x.features, x.boxes, ctx);
    for (let i = 0; i < layers; i++) v = this.encoder.visualLayers[i]!.apply(v, x.visualMask, ctx);
    return v;
  }

  frozenOutputs(x: ModelInputs): FrozenOutputs {
    return tf.tidy(() => {
      const out: FrozenOutputs = {};
      if (this.frozen.text !== null) out.text = this.textPart(x, this.frozen.text, FROZEN) as tf.Tensor3D;
      if (this.frozen.visual !== null) out.visual = this.visualPart(x, this.frozen.visual, FROZEN) as tf.Tensor3D;
      return out as Record<string, tf.Tensor>;
    }) as FrozenOutputs;
  }

  /** -> the streams' last hidden states [B, T, Ht] and [B, R + 1, Hv] (null for a stream the model lacks) */
  encode(x: ModelInputs, ctx: ForwardContext): [tf.Tensor | null, tf.Tensor | null] {
    const f = this.frozen;
    if (x.textHidden && f.text === null) throw new Error("inputs carry a cached text part, but no text layers are frozen");
    if (x.visualHidden && f.visual === null) throw new Error("inputs carry a cached visual part, but no visual layers are frozen");
    const text = this.textEmbeddings ? (x.textHidden ?? this.textPart(x, f.text ?? 0, f.text === null ? ctx : FROZEN)) : null;
    const visual = this.visualEmbeddings ? (x.visualHidden ?? this.visualPart(x, f.visual ?? 0, f.visual === null ? ctx : FROZEN)) : null;
    return this.encoder.apply(text, x.textMask, visual, x.visualMask, ctx, { text: f.text ?? 0, visual: f.visual ?? 0 });
  }

  /** -> [pooled text, pooled visual], each [B, biHidden] (null for a stream the model lacks) */
  apply(x: ModelInputs, ctx: ForwardContext): [tf.Tensor | null, tf.Tensor | null] {
    const [t, v] = this.encode(x, ctx);
    return [t && this.textPooler!.apply(t), v && this.visualPooler!.apply(v)];
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
