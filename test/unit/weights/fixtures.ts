// The committed pretrained-weights fixtures (test/fixtures/pretrained, made by generate.py with PyPI torch and
// transformers) and the memeops model configs of the same reduced sizes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createModel } from "../../../trainer-image/src/models/registry.ts";
import type { Model, ModelName } from "../../../trainer-image/src/models/model.ts";
import { stream } from "../../../trainer-image/src/models/layers/vilbert-backbone.ts";
import type { FacebookViLBERT } from "../../../trainer-image/src/models/vilbert-facebook.ts";
import { ForwardContext } from "../../../trainer-image/src/models/layers/context.ts";
import { MASKED } from "../../../trainer-image/src/models/layers/inputs.ts";

export const FIXTURES = join(import.meta.dirname, "../../fixtures/pretrained");
export const fixture = (name: string) => join(FIXTURES, name);

interface GeneratorConfig {
  vocab_size: number; hidden_size: number; num_hidden_layers: number; num_attention_heads: number; intermediate_size: number;
  max_position_embeddings: number; type_vocab_size: number; v_feature_size: number; v_hidden_size: number;
  v_num_hidden_layers: number; v_num_attention_heads: number; v_intermediate_size: number; bi_hidden_size: number;
  bi_num_attention_heads: number; t_biattention_id: number[]; v_biattention_id: number[];
}

export const manifest = JSON.parse(readFileSync(fixture("manifest.json"), "utf8")) as {
  config: GeneratorConfig;
  files: Record<string, { layout: string; bytes: number; sha256: string }>;
};

const c = manifest.config;
const backbone = {
  vocabSize: c.vocab_size, maxPositions: c.max_position_embeddings, typeVocabSize: c.type_vocab_size, initializerRange: 0.02,
  text: stream(c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.intermediate_size),
  visual: stream(c.v_num_hidden_layers, c.v_hidden_size, c.v_num_attention_heads, c.v_intermediate_size),
  bi: { biHidden: c.bi_hidden_size, biHeads: c.bi_num_attention_heads, attentionDropout: 0.1 },
  tBiattentionId: c.t_biattention_id, vBiattentionId: c.v_biattention_id,
};

/** The fixtures' sizes as memeops architecture configs. */
export const FIXTURE_CONFIG: Record<ModelName, unknown> = {
  vilbert_facebook: { ...backbone, visualFeatureNorm: false, poolerActivation: "relu", headHidden: c.bi_hidden_size, headDropout: 0.1 },
  vilbert_hf: { ...backbone, visualFeatureNorm: true, poolerActivation: "tanh", fusionDropout: 0.1 },
};

export const fixtureDims = { T: 16, R: 4, D: c.v_feature_size };

export const fixtureModel = (name: ModelName, seed = 1): Model =>
  createModel(name, "tiny", fixtureDims, { seed, config: FIXTURE_CONFIG[name] });

/** BERT's forward pass over the text stream alone: embeddings, then every text layer (no co-attention). */
export function textStream(model: Model, ids: number[][], types: number[][], mask: number[][]): { embeddings: tf.Tensor; hidden: tf.Tensor } {
  const { backbone: b } = model as FacebookViLBERT;
  const ctx = new ForwardContext(false);
  const embeddings = b.textEmbeddings!.apply(tf.tensor2d(ids, undefined, "int32"), tf.tensor2d(types, undefined, "int32"), ctx);
  const additive = tf.tensor(mask.map((row) => row.map((m) => (m ? 0 : MASKED)))).reshape([mask.length, 1, 1, mask[0]!.length]);
  let hidden = embeddings;
  for (const layer of b.encoder.textLayers) hidden = layer.apply(hidden, additive, ctx);
  return { embeddings, hidden };
}

/** max |a - b| over two equally shaped nested arrays / tensors' values */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
