// The poolers: the first position's hidden state ([CLS] for text, the whole-image region for vision) -> Dense ->
// tanh (BERT's BertPooler) or ReLU (vilbert-multi-task's BertTextPooler and BertImagePooler).
import type * as tf from "@tensorflow/tfjs";
import { Dense } from "./dense.ts";
import type { ParamStore } from "./params.ts";
import type { PoolerActivation } from "../model.ts";

export class Pooler {
  readonly dense: Dense;
  constructor(p: ParamStore, name: string, inSize: number, outSize: number, readonly activation: PoolerActivation) {
    this.dense = new Dense(p, `${name}.dense`, inSize, outSize);
  }
  /** [B, L, H] -> [B, out] */
  apply(x: tf.Tensor): tf.Tensor {
    const [b, , h] = x.shape as [number, number, number];
    const pooled = this.dense.apply(x.slice([0, 0, 0], [b, 1, h]).reshape([b, h]));
    return this.activation === "relu" ? pooled.relu() : pooled.tanh();
  }
}
