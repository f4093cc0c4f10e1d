// Multi-head attention, written with explicit transposes (FIELD-NOTES: transpose flags are slow on wasm).
// `mask` is additive ([B, 1, 1, L]: 0 for real keys, -10000 for padding), built from the batch outside the
// gradient path.
import * as tf from "@tensorflow/tfjs";
import { Dense } from "./dense.ts";
import { LayerNorm, layerNormForward, layerNormGrads } from "./layer-norm.ts";
import { dropout, dropoutMask } from "./dropout.ts";
import { linear, linearForward, linearGrads, matMul, swapLast } from "./kernels.ts";
import type { ParamStore } from "./params.ts";
import type { ForwardContext } from "./context.ts";

export interface AttentionShape {
  heads: number;
  /** width of the attention space (queries, keys, values) */
  size: number;
  dropout: number;
}

/** One sequence's attention inputs split into heads: queries and values [B, h, L, d], keys transposed [B, h, d, L]. */
export interface Heads {
  q: tf.Tensor;
  kt: tf.Tensor;
  v: tf.Tensor;
}

/**
 * The query, key and value projections of x [B, L, in] as ONE matmul against the three kernels side by side (the
 * stored parameters stay separate; concat's gradient splits theirs back), split into heads. Against three Dense
 * layers this saves two matmuls forward, and two matmuls, two transposes of x and two gradient adds backward.
 */
export function projectHeads(x: tf.Tensor, query: Dense, key: Dense, value: Dense, heads: number): Heads {
  const [b, l] = x.shape as [number, number, number];
  const kernel = tf.concat([query.kernel, key.kernel, value.kernel], 1) as tf.Tensor2D;
  const bias = tf.concat([query.bias, key.bias, value.bias]) as tf.Tensor1D;
  const y = linear(x.reshape([-1, query.inSize]) as tf.Tensor2D, kernel, bias); // [B*L, 3*size]
  const d = query.outSize / heads;
  const [q, k, v] = tf.split(y.reshape([b, l, 3 * heads, d]).transpose([0, 2, 1, 3]), 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
  return { q, kt: swapLast(k), v };
}

/** softmax(q k^T / sqrt(d) + mask) v, per head; q from one sequence, k and v from another (or the same). */
export function scaledDotProductAttention(
  query: tf.Tensor,
  keyValue: Pick<Heads, "kt" | "v">,
  mask: tf.Tensor,
  shape: AttentionShape,
  ctx: ForwardContext,
): tf.Tensor {
  const [b, , lq, d] = query.shape as [number, number, number, number];
  const scores = matMul(query, keyValue.kt).mul(1 / Math.sqrt(d)).add(mask);
  const probs = dropout(scores.softmax(), shape.dropout, ctx);
  return matMul(probs, keyValue.v).transpose([0, 2, 1, 3]).reshape([b, lq, shape.size]);
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
  /** LayerNorm(dropout(dense(x)) + residual), as one op with a hand-written gradient: autodiff of the pieces
   * records ~8 kernels and ~13 saved tensors more per call. */
  apply(x: tf.Tensor, residual: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const { dense, norm } = this;
    const rows = residual.size / dense.outSize;
    const mask = dropoutMask([rows, dense.outSize], this.rate, ctx);
    const op = tf.customGrad((...args) => {
      const [x2, r2, kernel, bias, weight, shift, save] = args as [
        tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc,
      ];
      const h = linearForward(x2, kernel, bias);
      const { y, xhat, rstd } = layerNormForward((mask ? h.mul(mask) : h).add(r2) as tf.Tensor2D, weight, shift, norm.eps);
      save(mask ? [x2, kernel, xhat, rstd, weight, mask] : [x2, kernel, xhat, rstd, weight]);
      return {
        value: y,
        gradFunc: (dy, saved) => {
          const [sx, skernel, sxhat, srstd, sweight, smask] = saved as tf.Tensor2D[];
          const [dz, dweight, dshift] = layerNormGrads(dy as tf.Tensor2D, sxhat!, srstd!, sweight!);
          const dh = smask ? dz.mul(smask) as tf.Tensor2D : dz;
          const [dx, dkernel, dbias] = linearGrads(dh, sx!, skernel!);
          return [dx, dz, dkernel, dbias, dweight, dshift];
        },
      };
    });
    const out = op(
      x.reshape([rows, dense.inSize]), residual.reshape([rows, dense.outSize]), dense.kernel, dense.bias, norm.weight, norm.bias,
    );
    return out.reshape(residual.shape);
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
    const heads = projectHeads(x, this.query, this.key, this.value, this.shape.heads);
    const context = scaledDotProductAttention(heads.q, heads, mask, this.shape, ctx);
    return this.output.apply(context, x, ctx);
  }
}
