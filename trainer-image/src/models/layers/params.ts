// A model's weights: tf.Variables keyed by stable hierarchical names (after the published PyTorch layout, with
// `.kernel` for dense weights stored [in, out], i.e. transposed from PyTorch's `.weight` [out, in]).
// Initialisation is seeded per name, so a weight's initial value depends only on (seed, name, shape).
import * as tf from "@tensorflow/tfjs";
import { deriveSeed, hashString } from "../../common/rng.ts";

let nextVariableId = 0;

export type Init = { kind: "normal"; std: number } | { kind: "zeros" } | { kind: "ones" };

export class ParamStore {
  readonly variables = new Map<string, tf.Variable>();
  /** `initStd`: std of the truncated-normal weights (BERT's initializer_range, 0.02) */
  constructor(private readonly seed: number, readonly initStd = 0.02) {}

  /** BERT's initialiser for dense and embedding weights: truncated normal with this store's std. */
  get normal(): Init {
    return { kind: "normal", std: this.initStd };
  }

  /** Creates (once) the named variable. */
  create(name: string, shape: number[], init: Init): tf.Variable {
    if (this.variables.has(name)) throw new Error(`duplicate parameter name ${name}`);
    const value = tf.tidy(() => {
      switch (init.kind) {
        case "zeros":
          return tf.zeros(shape);
        case "ones":
          return tf.ones(shape);
        case "normal":
          return tf.truncatedNormal(shape, 0, init.std, "float32", deriveSeed(this.seed, hashString(name)));
      }
    });
    const v = tf.variable(value, true, `${name}#${nextVariableId++}`); // tfjs needs globally unique names
    value.dispose();
    this.variables.set(name, v);
    return v;
  }

  count(): { total: number; trainable: number } {
    let total = 0;
    let trainable = 0;
    for (const v of this.variables.values()) {
      total += v.size;
      if (v.trainable) trainable += v.size;
    }
    return { total, trainable };
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}

/** The parameter name of a tf.Variable created by a ParamStore (tfjs names carry a uniqueness suffix). */
export const paramNameOf = (variableName: string): string => variableName.replace(/#\d+$/, "");
