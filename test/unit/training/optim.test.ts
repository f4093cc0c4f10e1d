import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { AdamW, ADAMW_DEFAULTS, isDecayed } from "../../../trainer-image/src/training/adamw.ts";
import { learningRateAt } from "../../../trainer-image/src/training/schedule.ts";
import { clipByGlobalNorm } from "../../../trainer-image/src/training/grad-clip.ts";
import { initialEarlyStopping, observe, shouldStop } from "../../../trainer-image/src/training/early-stopping.ts";
import { useWasm } from "./wasm.ts";

beforeAll(useWasm);

describe("AdamW", () => {
  it("matches torch.optim.AdamW for two steps, decaying weights but not biases", () => {
    const params = new Map([
      ["w.kernel", tf.variable(tf.tensor1d([1.0]))],
      ["w.bias", tf.variable(tf.tensor1d([1.0]))],
    ]);
    const opt = new AdamW({ ...ADAMW_DEFAULTS, weightDecay: 0.1 });
    const lr = 0.01;
    const grads = [0.5, -0.25];
    // reference in plain numbers
    let w = 1, b = 1, m = 0, v = 0;
    grads.forEach((g, i) => {
      const t = i + 1;
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      const update = (lr * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
      w = w * (1 - lr * 0.1) - update;
      b = b - update;
      opt.apply(params, { "w.kernel": tf.tensor1d([g]), "w.bias": tf.tensor1d([g]) }, lr);
    });
    expect(params.get("w.kernel")!.dataSync()[0]).toBeCloseTo(w, 6);
    expect(params.get("w.bias")!.dataSync()[0]).toBeCloseTo(b, 6);
    expect(opt.step).toBe(2);
  });

  it("does not decay biases or LayerNorm", () => {
    expect(isDecayed("bert.encoder.layer.0.attention.self.query.kernel")).toBe(true);
    expect(isDecayed("bert.embeddings.word_embeddings.weight")).toBe(true);
    expect(isDecayed("bert.encoder.layer.0.attention.self.query.bias")).toBe(false);
    expect(isDecayed("bert.embeddings.LayerNorm.weight")).toBe(false);
    expect(isDecayed("bert.encoder.c_layer.0.biOutput.LayerNorm1.weight")).toBe(false);
  });
});

describe("learning-rate schedule", () => {
  it("warms up linearly, then decays linearly to 0", () => {
    const lr = (s: number) => learningRateAt(s, 1, 4, 12);
    expect([0, 1, 2, 3].map(lr)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(lr(4)).toBe(1);
    expect(lr(8)).toBe(0.5);
    expect(lr(12)).toBe(0);
    expect(learningRateAt(0, 1, 0, 10)).toBe(1);
  });
});

describe("gradient clipping", () => {
  it("scales all gradients by maxNorm / global norm when above it, and leaves them otherwise", () => {
    const grads = { a: tf.tensor1d([3]), b: tf.tensor1d([4]) }; // global norm 5
    const clipped = clipByGlobalNorm(grads, 1);
    expect(clipped.norm).toBeCloseTo(5, 6);
    expect(clipped.grads.a!.dataSync()[0]).toBeCloseTo(0.6, 5);
    expect(clipped.grads.b!.dataSync()[0]).toBeCloseTo(0.8, 5);
    const kept = clipByGlobalNorm(grads, 10);
    expect(kept.grads.a!.dataSync()[0]).toBe(3);
  });
});

describe("early stopping", () => {
  it("stops after `patience` epochs without improvement and remembers the best epoch", () => {
    let s = initialEarlyStopping({ metric: "val_auroc", patience: 2 });
    const seen = [0.6, 0.7, 0.65, 0.7].map((v, i) => {
      const r = observe(s, i + 1, v);
      s = r.state;
      return [r.improved, r.stop];
    });
    expect(seen).toEqual([[true, false], [true, false], [false, false], [false, true]]);
    expect(s.bestEpoch).toBe(2);
  });

  it("stops at once when the best value reaches the metric's bound (AUROC 1): no later epoch could replace it", () => {
    let s = initialEarlyStopping({ metric: "val_auroc", patience: 6 });
    const stops = [0.5, 0.99, 1].map((v, i) => {
      const r = observe(s, i + 1, v);
      s = r.state;
      return r.stop;
    });
    expect(stops).toEqual([false, false, true]);
    expect(s.bestEpoch).toBe(3);
    expect(shouldStop(s)).toBe(true);
    expect(shouldStop(observe(initialEarlyStopping({ metric: "val_loss", patience: 6 }), 1, 1e-9).state)).toBe(false);
    expect(shouldStop(observe(initialEarlyStopping({ metric: "val_loss", patience: 6 }), 1, 0).state)).toBe(true);
  });

  it("lower is better for val_loss; NaN never improves", () => {
    let s = initialEarlyStopping({ metric: "val_loss", patience: 5 });
    s = observe(s, 1, NaN).state;
    expect(s.bestEpoch).toBeNull();
    s = observe(s, 2, 0.5).state;
    s = observe(s, 3, 0.4).state;
    expect(s.bestEpoch).toBe(3);
  });
});
