// Global gradient-norm clipping (torch.nn.utils.clip_grad_norm_): if the norm over ALL gradients exceeds maxNorm,
// every gradient is scaled by maxNorm / (norm + 1e-6).
import * as tf from "@tensorflow/tfjs";

export type Grads = Record<string, tf.Tensor>;

/** Returns the clipped gradients (new tensors; the inputs are left to the caller) and the norm before clipping. */
export function clipByGlobalNorm(grads: Grads, maxNorm: number): { grads: Grads; norm: number } {
  const normTensor = tf.tidy(() => tf.addN(Object.values(grads).map((g) => g.square().sum())).sqrt());
  const norm = normTensor.dataSync()[0]!;
  normTensor.dispose();
  const scale = norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
  const clipped: Grads = {};
  for (const [name, g] of Object.entries(grads)) clipped[name] = scale === 1 ? g.clone() : g.mul(scale);
  return { grads: clipped, norm };
}
