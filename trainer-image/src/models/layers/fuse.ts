// The pooled streams into the head's input: a two-stream model joins them its own way (concatenation, product);
// a one-modality model has one pooled vector, which is the head's input as it is.
import type * as tf from "@tensorflow/tfjs";

export function fusePooled(pooled: [tf.Tensor | null, tf.Tensor | null], join: (text: tf.Tensor, visual: tf.Tensor) => tf.Tensor): tf.Tensor {
  const [text, visual] = pooled;
  if (text && visual) return join(text, visual);
  const one = text ?? visual;
  if (!one) throw new Error("a model needs at least one modality");
  return one;
}
