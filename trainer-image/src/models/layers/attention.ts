// Multi-head attention, written with explicit transposes (FIELD-NOTES: transpose flags are slow on wasm).
// `mask` is additive ([B, 1, 1, L]: 0 for real keys, -10000 for padding), built from the batch outside the
// gradient path.
import type * as tf from "@tensorflow/tfjs";
import { Dense, LayerNorm, dropout } from "./dense.ts";
import { matMul } from "./kernels.ts";
import type { ParamStore } from "./params.ts";
import type { ForwardContext } from "./context.ts";

export interface AttentionShape {
  heads: number;
  /** width of the attention space (queries, keys, values) */
  size: number;
  dropout: number;
}

/** [B, L, heads*d] -> [B, heads, L, d] */
function splitHeads(x: tf.Tensor, heads: number): tf.Tensor {
  const [b, l, h] = x.shape as [number, number, number];
  return x.reshape([b, l, heads, h / heads]).transpose([0, 2, 1, 3]);
}

/** softmax(q k^T / sqrt(d) + mask) v, per head; q from one sequence, k and v from another (or the same). */
export function scaledDotProductAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  mask: tf.Tensor,
  shape: AttentionShape,
  ctx: ForwardContext,
): tf.Tensor {
  const [b, lq] = q.shape as [number, number, number];
  const d = shape.size / shape.heads;
  const qh = splitHeads(q, shape.heads); // [B, h, Lq, d]
  const [, lk] = k.shape as [number, number, number];
  const kt = k.reshape([b, lk, shape.heads, d]).transpose([0, 2, 3, 1]); // [B, h, d, Lk]
  const vh = splitHeads(v, shape.heads); // [B, h, Lk, d]
  const scores = matMul(qh, kt).mul(1 / Math.sqrt(d)).add(mask);
  const probs = dropout(scores.softmax(), shape.dropout, ctx);
  return matMul(probs, vh).transpose([0, 2, 1, 3]).reshape([b, lq, shape.size]);
}

/** Dense + dropout + residual + LayerNorm: BERT's "output" sublayer. */
export class ResidualOutput {
  readonly dense: Dense;
  readonly norm: LayerNorm;
  /** `name` names the dense layer and its LayerNorm `${name}.dense`, `${name}.LayerNorm`, unless given as a pair. */
  constructor(p: ParamStore, name: string | [string, string], inSize: number, outSize: number, private readonly rate: number) {
    const [denseName, normName] = typeof name === "string" ? [`${name}.dense`, `${name}.LayerNorm`] : name;
    this.dense = new Dense(p, denseName, inSize, outSize);
    this.norm = new LayerNorm(p, normName, outSize);
  }
  apply(x: tf.Tensor, residual: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.norm.apply(dropout(this.dense.apply(x), this.rate, ctx).add(residual));
  }
}

/** BertAttention: self-attention then its residual output. */
export class SelfAttention {
  readonly query: Dense;
  readonly key: Dense;
  readonly value: Dense;
  readonly output: ResidualOutput;
  constructor(p: ParamStore, name: string, hidden: number, private readonly shape: AttentionShape, hiddenDropout: number) {
    this.query = new Dense(p, `${name}.self.query`, hidden, shape.size);
    this.key = new Dense(p, `${name}.self.key`, hidden, shape.size);
    this.value = new Dense(p, `${name}.self.value`, hidden, shape.size);
    this.output = new ResidualOutput(p, `${name}.output`, shape.size, hidden, hiddenDropout);
  }
  apply(x: tf.Tensor, mask: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const context = scaledDotProductAttention(
      this.query.apply(x), this.key.apply(x), this.value.apply(x), mask, this.shape, ctx,
    );
    return this.output.apply(context, x, ctx);
  }
}
