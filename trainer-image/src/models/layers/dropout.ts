// Inverted dropout with seeded masks, so a run is repeatable (and a resumed run draws the same masks).
import * as tf from "@tensorflow/tfjs";
import { needsWorkarounds } from "./kernels.ts";
import type { ForwardContext } from "./context.ts";

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
