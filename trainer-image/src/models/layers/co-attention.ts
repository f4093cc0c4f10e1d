// ViLBERT's co-attentional transformer layer (vilbert-multi-task `BertConnectionLayer`): each stream's queries
// attend to the OTHER stream's keys and values in a shared "bi" space, then each stream gets its own residual
// output and feed-forward network. Names follow the published layout (`biattention.query1` = visual side, `2` = text).
import type * as tf from "@tensorflow/tfjs";
import { projectHeads, scaledDotProductAttention, ResidualOutput, type AttentionShape } from "./attention.ts";
import { Dense } from "./dense.ts";
import { FeedForward, type StreamShape } from "./transformer-layer.ts";
import type { ParamStore } from "./params.ts";
import type { ForwardContext } from "./context.ts";

export interface CoAttentionShape {
  biHidden: number;
  biHeads: number;
  attentionDropout: number;
  /** the feed-forward width of both streams inside these layers; ViLBERT (absent) uses each stream's own. A CPU
   * preset narrows it: the text side's FFN at BERT's 4x width is most of a co-attention layer's cost. */
  intermediate?: number;
}

export class CoAttentionLayer {
  readonly query1: Dense;
  readonly key1: Dense;
  readonly value1: Dense;
  readonly query2: Dense;
  readonly key2: Dense;
  readonly value2: Dense;
  readonly visualOutput: ResidualOutput;
  readonly textOutput: ResidualOutput;
  readonly visualFfn: FeedForward;
  readonly textFfn: FeedForward;
  private readonly shape: AttentionShape;

  constructor(p: ParamStore, name: string, text: StreamShape, visual: StreamShape, bi: CoAttentionShape) {
    const att = `${name}.biattention`;
    this.query1 = new Dense(p, `${att}.query1`, visual.hidden, bi.biHidden);
    this.key1 = new Dense(p, `${att}.key1`, visual.hidden, bi.biHidden);
    this.value1 = new Dense(p, `${att}.value1`, visual.hidden, bi.biHidden);
    this.query2 = new Dense(p, `${att}.query2`, text.hidden, bi.biHidden);
    this.key2 = new Dense(p, `${att}.key2`, text.hidden, bi.biHidden);
    this.value2 = new Dense(p, `${att}.value2`, text.hidden, bi.biHidden);
    this.visualOutput = new ResidualOutput(p, [`${name}.biOutput.dense1`, `${name}.biOutput.LayerNorm1`], bi.biHidden, visual.hidden, visual.hiddenDropout);
    this.textOutput = new ResidualOutput(p, [`${name}.biOutput.dense2`, `${name}.biOutput.LayerNorm2`], bi.biHidden, text.hidden, text.hiddenDropout);
    this.visualFfn = new FeedForward(p, `${name}.v_intermediate`, `${name}.v_output`, visual.hidden, bi.intermediate ?? visual.intermediate, visual.hiddenDropout);
    this.textFfn = new FeedForward(p, `${name}.t_intermediate`, `${name}.t_output`, text.hidden, bi.intermediate ?? text.intermediate, text.hiddenDropout);
    this.shape = { heads: bi.biHeads, size: bi.biHidden, dropout: bi.attentionDropout };
  }
  /** Returns the updated [text, visual] streams. */
  apply(
    text: tf.Tensor, textMask: tf.Tensor, visual: tf.Tensor, visualMask: tf.Tensor, ctx: ForwardContext,
  ): [tf.Tensor, tf.Tensor] {
    // text queries over visual keys/values, and visual queries over text keys/values
    const visualHeads = projectHeads(visual, this.query1, this.key1, this.value1, this.shape.heads);
    const textHeads = projectHeads(text, this.query2, this.key2, this.value2, this.shape.heads);
    const textContext = scaledDotProductAttention(textHeads.q, visualHeads, visualMask, this.shape, ctx);
    const visualContext = scaledDotProductAttention(visualHeads.q, textHeads, textMask, this.shape, ctx);
    const visualAttended = this.visualOutput.apply(visualContext, visual, ctx);
    const textAttended = this.textOutput.apply(textContext, text, ctx);
    return [this.textFfn.apply(textAttended, ctx), this.visualFfn.apply(visualAttended, ctx)];
  }
}
