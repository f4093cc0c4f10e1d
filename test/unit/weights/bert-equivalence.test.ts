// The text stream, loaded from a BERT checkpoint, computes what transformers' BertModel computed on the same
// tokens (recorded by test/fixtures/pretrained/generate.py): max abs difference below 1e-4.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openCheckpoint } from "../../../trainer-image/src/weights/open-checkpoint.ts";
import { loadInto } from "../../../trainer-image/src/weights/load.ts";
import { fixture, fixtureModel, maxAbsDiff, textStream } from "./fixtures.ts";

const ref = JSON.parse(readFileSync(fixture("bert-hidden-states.json"), "utf8")) as {
  input_ids: number[][]; token_type_ids: number[][]; attention_mask: number[][];
  embeddings: number[][][]; last_hidden_state: number[][][]; last_hidden_state_erf_gelu: number[][][];
};

describe("BERT text stream vs transformers BertModel", () => {
  for (const [name, modelName] of [["bert-model-zip.bin", "vilbert_facebook"], ["bert-pretraining-legacy.bin", "vilbert_hf"], ["bert-model.safetensors", "vilbert_facebook"]] as const) {
    it(`${name} into ${modelName}: hidden states within 1e-4 of transformers' (padding included)`, async () => {
      const model = fixtureModel(modelName);
      loadInto(model, await openCheckpoint(fixture(name)));
      const { embeddings, hidden } = textStream(model, ref.input_ids, ref.token_type_ids, ref.attention_mask);
      expect(hidden.shape).toEqual([2, 9, 32]);
      expect(maxAbsDiff(embeddings.dataSync(), ref.embeddings.flat(2))).toBeLessThan(1e-5);
      // BERT's published erf GeLU (bert-base-uncased's hidden_act "gelu"), as memeops computes it
      const diff = maxAbsDiff(hidden.dataSync(), ref.last_hidden_state_erf_gelu.flat(2));
      expect(diff).toBeLessThan(1e-4);
      // the same weights under the tanh approximation ("gelu_new") differ by more: the comparison tells the two apart
      expect(maxAbsDiff(hidden.dataSync(), ref.last_hidden_state.flat(2))).toBeGreaterThan(10 * diff);
      model.dispose();
    });
  }

  it("a model with other weights does not match (the comparison can fail)", () => {
    const model = fixtureModel("vilbert_facebook");
    const { hidden } = textStream(model, ref.input_ids, ref.token_type_ids, ref.attention_mask);
    expect(maxAbsDiff(hidden.dataSync(), ref.last_hidden_state.flat(2))).toBeGreaterThan(0.1);
    model.dispose();
  });
});
