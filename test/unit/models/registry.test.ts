import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { createModel, listModels } from "../../../trainer-image/src/models/registry.ts";
import { parameterCount, type Model } from "../../../trainer-image/src/models/model.ts";
import { layerSchedule } from "../../../trainer-image/src/models/layers/two-stream-encoder.ts";
import { PRESETS } from "../../../trainer-image/src/models/vilbert-facebook.ts";
import { toModelInputs, disposeInputs } from "../../../trainer-image/src/models/layers/inputs.ts";
import { ForwardContext } from "../../../trainer-image/src/models/layers/context.ts";
import { xorMemes, XOR_DIMS } from "../../../trainer-image/src/training/xor-memes.ts";
import { MODELS } from "../../../api/v1alpha1/spec.ts";
import { useWasm } from "../training/wasm.ts";

beforeAll(useWasm);
const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));
const build = (name: (typeof MODELS)[number], seed = 0) => {
  const m = createModel(name, "tiny", XOR_DIMS, { seed });
  models.push(m);
  return m;
};

describe("model registry", () => {
  it("has every architecture the spec allows", () => {
    expect(listModels().sort()).toEqual([...MODELS].sort());
    expect(() => createModel("nope" as "vilbert_hf", "tiny", XOR_DIMS)).toThrow(/unknown model "nope"; known: vilbert_facebook, vilbert_hf/);
  });

  it.each(MODELS)("%s tiny: 2 logits per sample, parameter count, published-style names", (name) => {
    const m = build(name);
    const batch = [...xorMemes({ n: 4, seed: 1 }).batches(4, {})][0]!;
    const inputs = toModelInputs(batch, XOR_DIMS);
    const logits = tf.tidy(() => m.logits(inputs, new ForwardContext(false)).arraySync());
    disposeInputs(inputs);
    expect(logits.length).toBe(4);
    expect(logits.every((row) => row.length === 2 && row.every(Number.isFinite))).toBe(true);
    const count = parameterCount(m);
    expect(count.total).toBe([...m.params.variables.values()].reduce((s, v) => s + v.size, 0));
    expect(count.trainable).toBe(count.total);
    const names = [...m.params.variables.keys()];
    for (const expected of [
      "bert.embeddings.word_embeddings.weight",
      "bert.embeddings.LayerNorm.weight",
      "bert.v_embeddings.image_embeddings.kernel",
      "bert.v_embeddings.image_location_embeddings.kernel",
      "bert.encoder.layer.0.attention.self.query.kernel",
      "bert.encoder.layer.1.output.LayerNorm.bias",
      "bert.encoder.v_layer.0.intermediate.dense.kernel",
      "bert.encoder.c_layer.0.biattention.query1.kernel",
      "bert.encoder.c_layer.0.biOutput.dense2.kernel",
      "bert.encoder.c_layer.0.t_output.LayerNorm.weight",
      "bert.t_pooler.dense.kernel",
      "bert.v_pooler.dense.bias",
    ]) {
      expect(names).toContain(expected);
    }
    expect(m.params.variables.get("bert.embeddings.word_embeddings.weight")!.shape).toEqual([30522, 64]);
  });

  it("the same seed gives the same weights; another seed different ones", () => {
    const [a, b, c] = [build("vilbert_facebook", 5), build("vilbert_facebook", 5), build("vilbert_facebook", 6)];
    const w = (m: Model) => m.params.variables.get("bert.encoder.layer.0.attention.self.query.kernel")!.dataSync();
    expect(Array.from(w(a))).toEqual(Array.from(w(b)));
    expect(Array.from(w(a))).not.toEqual(Array.from(w(c)));
  });

  it("published layer order: six text layers alone, then (text, visual, co-attention) pairs", () => {
    const base = PRESETS.base;
    const order = layerSchedule({ ...base, textLayers: base.text.layers, visualLayers: base.visual.layers });
    expect(order.join(" ")).toBe(
      "t0 t1 t2 t3 t4 t5 c0 t6 v0 c1 t7 v1 c2 t8 v2 c3 t9 v3 c4 t10 v4 c5 v5 t11",
    );
    expect(base).toMatchObject({ text: { layers: 12, hidden: 768, heads: 12, intermediate: 3072 }, visual: { layers: 6, hidden: 1024, heads: 8, intermediate: 1024 }, bi: { biHidden: 1024, biHeads: 8 }, headHidden: 1024 });
  });

  it("padding regions and tokens do not change a sample's logits", () => {
    const m = build("vilbert_hf");
    const batch = [...xorMemes({ n: 4, seed: 2 }).batches(4, {})][0]!;
    const garbled = { ...batch, features: batch.features.slice(), inputIds: batch.inputIds.slice() };
    const { T, R, D } = XOR_DIMS;
    // sample 0: mark the last region padding and put noise in it; its text has padding at the end already
    const masked = { ...batch, regionMask: batch.regionMask.slice() };
    masked.regionMask[R - 1] = 0;
    const g2 = { ...garbled, regionMask: masked.regionMask };
    for (let d = 0; d < D; d++) g2.features[(R - 1) * D + d] = 99;
    g2.inputIds[T - 1] = 777; // a padding position (mask 0)
    const run = (b: typeof batch) => {
      const inputs = toModelInputs(b, XOR_DIMS);
      const out = tf.tidy(() => m.logits(inputs, new ForwardContext(false)).arraySync()[0]!);
      disposeInputs(inputs);
      return out;
    };
    expect(batch.attentionMask[T - 1]).toBe(0);
    const [a, b] = [run(masked), run(g2)];
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
  });
});
