// model.modalities: a text-only model is the text stream, its pooler and the head (no visual input, no
// co-attention); an image-only model the same for the visual stream. Each ignores the other modality's input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { createModel } from "../../../trainer-image/src/models/registry.ts";
import { ForwardContext } from "../../../trainer-image/src/models/layers/context.ts";
import { disposeInputs, toModelInputs } from "../../../trainer-image/src/models/layers/inputs.ts";
import type { Modality, Model, ModelName } from "../../../trainer-image/src/models/model.ts";
import { xorMemes, XOR_DIMS } from "../../../trainer-image/src/training/xor-memes.ts";
import type { Batch } from "../../../trainer-image/src/common/batch.ts";
import { useWasm } from "../training/wasm.ts";

beforeAll(useWasm);
const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));
const build = (name: ModelName, modalities?: Modality[]) => {
  const m = createModel(name, "tiny", XOR_DIMS, { seed: 2, ...(modalities ? { modalities } : {}) });
  models.push(m);
  return m;
};
const batch = (): Batch => [...xorMemes({ n: 4, seed: 1 }).batches(4, {})][0]!;
const logits = (m: Model, b: Batch) => {
  const inputs = toModelInputs(b, XOR_DIMS);
  const out = tf.tidy(() => m.logits(inputs, new ForwardContext(false)).dataSync().slice() as Float32Array);
  disposeInputs(inputs);
  return out;
};
const differs = (a: Float32Array, b: Float32Array) => a.some((x, i) => Math.abs(x - b[i]!) > 1e-6);

describe("model.modalities", () => {
  for (const name of ["vilbert_facebook", "vilbert_hf"] as const) {
    it(`${name} [text]: text stream only; the image does not change its logits, the text does`, () => {
      const m = build(name, ["text"]);
      const names = [...m.params.variables.keys()];
      expect(names.some((n) => n.startsWith("bert.embeddings."))).toBe(true);
      expect(names.filter((n) => /^bert\.(v_embeddings|v_pooler)\.|\.(v_layer|c_layer)\./.test(n))).toEqual([]);
      expect(m.modalities).toEqual(["text"]);
      expect((m.architecture.config as { modalities: string[] }).modalities).toEqual(["text"]);
      const b = batch();
      const base = logits(m, b);
      expect(differs(logits(m, { ...b, features: b.features.map((x) => x + 1) }), base)).toBe(false);
      expect(differs(logits(m, { ...b, inputIds: b.inputIds.map((t) => (t > 102 ? t + 1 : t)) }), base)).toBe(true);
    });

    it(`${name} [image]: visual stream only; the text does not change its logits, the image does`, () => {
      const m = build(name, ["image"]);
      const names = [...m.params.variables.keys()];
      expect(names.filter((n) => /^bert\.(embeddings|t_pooler)\.|\.(layer|c_layer)\.\d/.test(n))).toEqual([]);
      expect(names.some((n) => n.startsWith("bert.encoder.v_layer.0."))).toBe(true);
      const b = batch();
      const base = logits(m, b);
      expect(differs(logits(m, { ...b, inputIds: b.inputIds.map((t) => (t > 102 ? t + 1 : t)) }), base)).toBe(false);
      expect(differs(logits(m, { ...b, features: b.features.map((x) => x * 2 + 1) }), base)).toBe(true);
    });

    it(`${name} [text, image] is the two-stream model, same weights and logits as the default`, () => {
      const both = build(name, ["text", "image"]);
      const plain = build(name);
      expect([...both.params.variables.keys()]).toEqual([...plain.params.variables.keys()]);
      const b = batch();
      expect(differs(logits(both, b), logits(plain, b))).toBe(false);
      expect(differs(logits(both, { ...b, features: b.features.map((x) => x * 2 + 1) }), logits(both, b))).toBe(true);
    });
  }
});
