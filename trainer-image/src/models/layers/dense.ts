// Dense (affine) layer, LayerNorm, GeLU and dropout: the small pieces every block is made of.
import * as tf from "@tensorflow/tfjs";
import type { ParamStore } from "./params.ts";
import { matMul } from "./kernels.ts";
import type { ForwardContext } from "./context.ts";

export class Dense {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  constructor(p: ParamStore, name: string, readonly inSize: number, readonly outSize: number) {
    this.kernel = p.create(`${name}.kernel`, [inSize, outSize], p.normal);
    this.bias = p.create(`${name}.bias`, [outSize], { kind: "zeros" });
  }
  /** x: [..., in] -> [..., out] */
  apply(x: tf.Tensor): tf.Tensor {
    const lead = x.shape.slice(0, -1);
    const y = matMul(x.reshape([-1, this.inSize]), this.kernel).add(this.bias);
    return y.reshape([...lead, this.outSize]);
  }
}

export class LayerNorm {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  constructor(p: ParamStore, name: string, size: number, private readonly eps = 1e-12) {
    this.weight = p.create(`${name}.weight`, [size], { kind: "ones" });
    this.bias = p.create(`${name}.bias`, [size], { kind: "zeros" });
  }
  apply(x: tf.Tensor): tf.Tensor {
    const axis = x.rank - 1;
    const mean = x.mean(axis, true);
    const centered = x.sub(mean);
    const variance = centered.square().mean(axis, true);
    return centered.mul(variance.add(this.eps).rsqrt()).mul(this.weight).add(this.bias);
  }
}

/** GeLU in BERT's and ViLBERT's exact erf form (the tanh approximation differs by up to 1e-3, enough to break
 * equivalence with published checkpoints). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);
}

/** Inverted dropout with a seeded mask, so a run is repeatable. Identity outside training. */
export function dropout(x: tf.Tensor, rate: number, ctx: ForwardContext): tf.Tensor {
  if (!ctx.training || rate <= 0) return x;
  const keep = tf.randomUniform(x.shape, 0, 1, "float32", ctx.nextSeed()).greaterEqual(rate);
  return x.mul(keep.toFloat().mul(1 / (1 - rate)));
}
