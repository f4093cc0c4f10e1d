// One transformer encoder layer (BertLayer): self-attention, then the feed-forward network, each with residual +
// LayerNorm. Used by both streams (text `bert.encoder.layer.i`, visual `bert.encoder.v_layer.i`).
import type * as tf from "@tensorflow/tfjs";
import { SelfAttention, ResidualOutput } from "./attention.ts";
import { Dense } from "./dense.ts";
import { gelu } from "./gelu.ts";
import type { ParamStore } from "./params.ts";
import type { ForwardContext } from "./context.ts";

export interface StreamShape {
  hidden: number;
  heads: number;
  intermediate: number;
  /** attention width; BERT uses the hidden size */
  attentionSize: number;
  hiddenDropout: number;
  attentionDropout: number;
}

/** Feed-forward network: Dense(hidden -> intermediate), GeLU, ResidualOutput(intermediate -> hidden). */
export class FeedForward {
  readonly intermediate: Dense;
  readonly output: ResidualOutput;
  constructor(p: ParamStore, intermediateName: string, outputName: string, hidden: number, inner: number, rate: number) {
    this.intermediate = new Dense(p, `${intermediateName}.dense`, hidden, inner);
    this.output = new ResidualOutput(p, outputName, inner, hidden, rate);
  }
  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.output.apply(gelu(this.intermediate.apply(x)), x, ctx);
  }
}

export class TransformerLayer {
  readonly attention: SelfAttention;
  readonly ffn: FeedForward;
  constructor(p: ParamStore, name: string, s: StreamShape) {
    this.attention = new SelfAttention(
      p, `${name}.attention`, s.hidden, { heads: s.heads, size: s.attentionSize, dropout: s.attentionDropout }, s.hiddenDropout,
    );
    this.ffn = new FeedForward(p, `${name}.intermediate`, `${name}.output`, s.hidden, s.intermediate, s.hiddenDropout);
  }
  apply(x: tf.Tensor, mask: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.ffn.apply(this.attention.apply(x, mask, ctx), ctx);
  }
}
