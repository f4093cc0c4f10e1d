// The four training losses on 2-class logits, as one formula (mean over the batch):
//   loss = w(y) * sum_k q_k * (1 - p_k)^gamma * (-log p_k)
//   ce:               q = one-hot(y),  w = 1,        gamma = 0
//   label_smoothing:  q = (1 - s) * one-hot(y) + s/2,  w = 1, gamma = 0
//   focal:            q = one-hot(y),  w = alpha_t = alpha*y + (1-alpha)(1-y), gamma
//   focal_smoothing:  q smoothed as above, w = alpha_t of the hard label, gamma
// so focal reduces to the usual -alpha_t (1 - p_t)^gamma log p_t, and gamma = 0, alpha = 0.5 gives ce / 2.
import * as tf from "@tensorflow/tfjs";
import type { TrainingSpec } from "../../../api/v1alpha1/spec.ts";

export type LossSpec = TrainingSpec["loss"];

/** (1 - p)^gamma, by repeated products for integer gamma (FIELD-NOTES: faster than pow, and safe at p = 1). */
function modulating(p: tf.Tensor, gamma: number): tf.Tensor {
  const base = tf.sub(1, p);
  if (!Number.isInteger(gamma)) return base.pow(gamma);
  let out: tf.Tensor = tf.onesLike(base);
  for (let i = 0; i < gamma; i++) out = out.mul(base);
  return out;
}

/** logits [B, 2], labels int32 [B] (0/1) -> scalar mean loss. */
export function lossFn(spec: LossSpec, logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const focal = spec.type === "focal" || spec.type === "focal_smoothing";
    const smooth = spec.type === "label_smoothing" || spec.type === "focal_smoothing";
    const s = smooth ? spec.smoothing : 0;
    const y = labels.toFloat().reshape([-1, 1]); // [B, 1]
    const oneHot = tf.concat([tf.sub(1, y), y], 1); // [B, 2]
    const q = oneHot.mul(1 - s).add(s / 2);
    const logp = tf.logSoftmax(logits);
    let perClass = q.mul(logp.neg());
    if (focal && spec.gamma > 0) perClass = perClass.mul(modulating(logp.exp(), spec.gamma));
    let perSample = perClass.sum(1);
    if (focal) perSample = perSample.mul(y.reshape([-1]).mul(2 * spec.alpha - 1).add(1 - spec.alpha));
    return perSample.mean() as tf.Scalar;
  });
}

/** The same formula in plain numbers, for one sample (tests and documentation). */
export function lossOfProbability(spec: LossSpec, p1: number, y: 0 | 1): number {
  const focal = spec.type === "focal" || spec.type === "focal_smoothing";
  const s = spec.type === "label_smoothing" || spec.type === "focal_smoothing" ? spec.smoothing : 0;
  const p = [1 - p1, p1];
  const q = [y === 0 ? 1 - s / 2 : s / 2, y === 1 ? 1 - s / 2 : s / 2];
  const gamma = focal ? spec.gamma : 0;
  const sum = [0, 1].reduce((acc, k) => acc + q[k]! * (1 - p[k]!) ** gamma * -Math.log(p[k]!), 0);
  return (focal ? spec.alpha * y + (1 - spec.alpha) * (1 - y) : 1) * sum;
}
