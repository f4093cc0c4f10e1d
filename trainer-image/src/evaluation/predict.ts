// Runs a model over a split: probabilities of class 1 per sample, and the mean loss over the labelled samples.
import * as tf from "@tensorflow/tfjs";
import type { BatchSource } from "../common/batch.ts";
import type { Model } from "../models/model.ts";
import { toModelInputs, disposeInputs } from "../models/layers/inputs.ts";
import { ForwardContext } from "../models/layers/context.ts";
import { lossFn, type LossSpec } from "../common/losses.ts";

export interface Predictions {
  ids: string[];
  /** P(hateful) per sample */
  probabilities: Float32Array;
  /** 0/1, or -1 when unknown */
  labels: Int32Array;
  /** mean loss over samples with known labels (NaN when none) */
  loss: number;
}

export function predict(model: Model, source: BatchSource, opts: { batchSize: number; loss?: LossSpec }): Predictions {
  const ids: string[] = [];
  const probabilities = new Float32Array(source.size);
  const labels = new Int32Array(source.size);
  let lossSum = 0;
  let labelled = 0;
  let at = 0;
  for (const batch of source.batches(opts.batchSize, {})) {
    const inputs = toModelInputs(batch, source.dims);
    const known = batch.labels.every((y) => y === 0 || y === 1);
    // tensors out of the tidy, read outside it: dataSync inside tf.tidy measured ~20x slower on wasm
    const [probsT, lossT] = tf.tidy(() => {
      const logits = model.logits(inputs, new ForwardContext(false));
      const p = tf.softmax(logits).slice([0, 1], [-1, 1]).reshape([-1]);
      const l = known && opts.loss ? lossFn(opts.loss, logits, tf.tensor1d(batch.labels, "int32")) : tf.scalar(NaN);
      return [p, l];
    });
    const probs = probsT.dataSync() as Float32Array;
    const loss = lossT.dataSync()[0]!;
    tf.dispose([probsT, lossT]);
    disposeInputs(inputs);
    probabilities.set(probs, at);
    labels.set(batch.labels, at);
    ids.push(...batch.ids);
    at += batch.ids.length;
    if (known && !Number.isNaN(loss)) {
      lossSum += loss * batch.ids.length;
      labelled += batch.ids.length;
    }
  }
  if (at !== source.size) throw new Error(`source yielded ${at} samples, declared size ${source.size}`);
  return { ids, probabilities, labels, loss: labelled > 0 ? lossSum / labelled : NaN };
}
