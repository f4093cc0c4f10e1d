// LayerNorm with a hand-written gradient: tfjs's autodiff of its formula records ~25 kernels per call, each with its
// saved tensors, where the closed form below needs ~10 (bench/ops-profile.ts). The forward formula is the one
// autodiff saw, op for op.
import * as tf from "@tensorflow/tfjs";
import type { ParamStore } from "./params.ts";
import { sumRows } from "./kernels.ts";

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
