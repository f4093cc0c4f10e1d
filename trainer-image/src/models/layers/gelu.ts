// GeLU with a hand-written gradient: tfjs's autodiff of its formula records ~10 kernels per call, the closed form
// below ~8 (bench/ops-profile.ts). The forward formula is the one autodiff saw, op for op.
import * as tf from "@tensorflow/tfjs";

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
