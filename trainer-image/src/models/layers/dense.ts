// Dense (affine) layer, LayerNorm, GeLU and dropout: the small pieces every block is made of.
// LayerNorm and GeLU carry hand-written gradients: tfjs's autodiff of their formulas records ~25 and ~10 kernels per
// call, each with its saved tensors, where the closed forms below need ~10 and ~8 (bench/ops-profile.ts). The
// forward formulas are the ones autodiff saw, op for op.
import * as tf from "@tensorflow/tfjs";
import type { ParamStore } from "./params.ts";
import { linear, needsWorkarounds, sumRows } from "./kernels.ts";
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
    const y = linear(x.reshape([-1, this.inSize]) as tf.Tensor2D, this.kernel as tf.Tensor2D, this.bias as tf.Tensor1D);
    return y.reshape([...lead, this.outSize]);
  }
}

/** LayerNorm over the last axis of x [M, H]: y = xhat * weight + bias with xhat = (x - mean) * rstd. */
export function layerNormForward(x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number) {
  const centered = x.sub(x.mean(1, true));
  const rstd = centered.square().mean(1, true).add(eps).rsqrt();
  const xhat = centered.mul(rstd);
  return { y: xhat.mul(weight).add(bias) as tf.Tensor2D, xhat, rstd };
}

/** With g = dy * weight: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), dweight = sum over rows of dy * xhat,
 * dbias = sum of dy. Returns [dx, dweight, dbias]. */
export function layerNormGrads(dy: tf.Tensor2D, xhat: tf.Tensor, rstd: tf.Tensor, weight: tf.Tensor): [tf.Tensor2D, tf.Tensor, tf.Tensor] {
  const g = dy.mul(weight);
  const dx = g.sub(g.mean(1, true)).sub(xhat.mul(g.mul(xhat).mean(1, true))).mul(rstd) as tf.Tensor2D;
  return [dx, sumRows(dy.mul(xhat)), sumRows(dy)];
}

function layerNormOp(eps: number) {
  return tf.customGrad((...args) => {
    const [x, weight, bias, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const { y, xhat, rstd } = layerNormForward(x, weight, bias, eps);
    save([xhat, rstd, weight]);
    return { value: y, gradFunc: (dy, saved) => layerNormGrads(dy as tf.Tensor2D, ...(saved as [tf.Tensor, tf.Tensor, tf.Tensor])) };
  });
}

export class LayerNorm {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  private readonly op: ReturnType<typeof layerNormOp>;
  constructor(p: ParamStore, name: string, readonly size: number, readonly eps = 1e-12) {
    this.weight = p.create(`${name}.weight`, [size], { kind: "ones" });
    this.bias = p.create(`${name}.bias`, [size], { kind: "zeros" });
    this.op = layerNormOp(eps);
  }
  apply(x: tf.Tensor): tf.Tensor {
    return this.op(x.reshape([-1, this.size]), this.weight, this.bias).reshape(x.shape);
  }
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** x * Phi(x); d/dx = Phi(x) + x * exp(-x^2 / 2) / sqrt(2 pi). */
const geluOp = tf.customGrad((...args) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const twiceCdf = tf.erf(x.mul(Math.SQRT1_2)).add(1);
  save([x, twiceCdf]);
  return {
    value: x.mul(twiceCdf).mul(0.5),
    gradFunc: (dy, saved) => {
      const [sx, sTwiceCdf] = saved as [tf.Tensor, tf.Tensor];
      const density = sx.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
      return (dy as tf.Tensor).mul(sTwiceCdf.mul(0.5).add(sx.mul(density)));
    },
  };
});

/** GeLU in BERT's and ViLBERT's exact erf form (the tanh approximation differs by up to 1e-3, enough to break
 * equivalence with published checkpoints). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return geluOp(x);
}

/** Inverted dropout's seeded mask: 0 or 1 / (1 - rate) per element; null outside training. It is the mask
 * `randomUniform(seed) >= rate`, times 1 / (1 - rate) (float32 comparison and scale). On wasm and cpu it is built
 * in one pass on the host rather than by three kernels; elsewhere the tensors live on the device, and the kernels
 * stay there. */
export function dropoutMask(shape: number[], rate: number, ctx: ForwardContext): tf.Tensor | null {
  if (!ctx.training || rate <= 0) return null;
  const uniform = tf.randomUniform(shape, 0, 1, "float32", ctx.nextSeed());
  if (!needsWorkarounds()) {
    const onDevice = tf.tidy(() => uniform.greaterEqual(rate).toFloat().mul(1 / (1 - rate)));
    uniform.dispose();
    return onDevice;
  }
  const draws = uniform.dataSync();
  uniform.dispose();
  const threshold = Math.fround(rate);
  const scale = Math.fround(1 / (1 - rate));
  const mask = new Float32Array(draws.length);
  for (let i = 0; i < draws.length; i++) mask[i] = draws[i]! >= threshold ? scale : 0;
  return tf.tensor(mask, shape);
}

/** Inverted dropout with a seeded mask, so a run is repeatable. Identity outside training. */
export function dropout(x: tf.Tensor, rate: number, ctx: ForwardContext): tf.Tensor {
  const mask = dropoutMask(x.shape, rate, ctx);
  return mask ? x.mul(mask) : x;
}
