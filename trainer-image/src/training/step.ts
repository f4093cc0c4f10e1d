// One optimisation step: forward with dropout, loss, gradients of every trainable weight, global-norm clip, AdamW.
import * as tf from "@tensorflow/tfjs";
import type { Batch, Dims } from "../common/batch.ts";
import type { Model } from "../models/model.ts";
import { toModelInputs, disposeInputs } from "../models/layers/inputs.ts";
import { ForwardContext } from "../models/layers/context.ts";
import { paramNameOf } from "../models/layers/params.ts";
import { lossFn, type LossSpec } from "../common/losses.ts";
import { clipByGlobalNorm, type Grads } from "./grad-clip.ts";
import type { AdamW } from "./adamw.ts";

export interface StepSettings {
  loss: LossSpec;
  learningRate: number;
  gradientClip: number;
  /** seeds this step's dropout masks */
  dropoutSeed: number;
}

export function trainStep(model: Model, optimizer: AdamW, batch: Batch, dims: Dims, s: StepSettings): { loss: number; gradNorm: number } {
  if (!batch.labels.every((y) => y === 0 || y === 1)) throw new Error(`training batch has labels other than 0/1 (ids ${batch.ids.slice(0, 3).join(", ")}...)`);
  const inputs = toModelInputs(batch, dims);
  const labels = tf.tensor1d(batch.labels, "int32");
  const trainable = [...model.params.variables.values()].filter((v) => v.trainable);
  const ctx = new ForwardContext(true, s.dropoutSeed);
  const { value, grads } = tf.variableGrads(() => lossFn(s.loss, model.logits(inputs, ctx), labels), trainable);
  const named: Grads = {};
  for (const [tfName, g] of Object.entries(grads)) named[paramNameOf(tfName)] = g;
  const clipped = clipByGlobalNorm(named, s.gradientClip);
  optimizer.apply(model.params.variables, clipped.grads, s.learningRate);
  const loss = value.dataSync()[0]!;
  tf.dispose([value, labels, ...Object.values(grads), ...Object.values(clipped.grads)]);
  disposeInputs(inputs);
  return { loss, gradNorm: clipped.norm };
}
