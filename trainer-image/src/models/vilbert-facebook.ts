// vilbert_facebook: Facebook's ViLBERT (Lu et al. 2019; facebookresearch/vilbert-multi-task, config
// bert_base_6layer_6conect.json), the architecture of the original project's Facebook-weights pipelines.
//   text stream   BERT-base: 12 layers, hidden 768, 12 heads, FFN 3072, vocab 30522
//   visual stream 6 layers, hidden 1024, 8 heads, FFN 1024
//   co-attention  6 layers, bi-hidden 1024, 8 heads, after text layers 6..11 / visual layers 0..5
//   poolers       768 -> 1024 and 1024 -> 1024, ReLU: vilbert-multi-task's BertTextPooler and BertImagePooler
//                 (facebookresearch/vilbert-multi-task vilbert/vilbert.py), what the published weights were trained
//                 with. The seed project's copy used tanh; configs recorded before this setting read as tanh.
//   head          concat(pooled text, pooled visual) 2048 -> 1024 -> ReLU -> dropout -> 2
// The head follows the original project (FIELD-NOTES: "head 2048 -> 1024 -> 2"), not the multi-task release's
// elementwise-product fusion (that one is vilbert_hf's). `small` and `tiny` are CPU-sized presets. `minilm` has the
// text stream of all-MiniLM-L6-v2 (6 layers, 384, 12 heads, FFN 1536, 512 positions, bert-base-uncased's vocabulary),
// so sentence-transformers' model.safetensors loads into it, and CPU-sized rest: its one co-attention layer sits on
// the LAST text layer (ViLBERT puts its six on BERT-base's last six), so the whole pretrained text stream can be
// frozen and cached (training.freeze.textLayers 6) and a step trains only the co-attention layer, the 2-layer
// 128-wide visual stream, the poolers and the head; the co-attention FFN is 512 wide, not MiniLM's 1536, because
// the text side's FFN is most of its cost (bench/freeze-speed.ts). A one-modality model's head reads its one
// pooled vector (biHidden).
import * as tf from "@tensorflow/tfjs";
import { initializerRange, stream, type ViLBERTConfig } from "./layers/vilbert-backbone.ts";
import { ViLBERTModel } from "./layers/vilbert-model.ts";
import { fusePooled } from "./layers/fuse.ts";
import { Dense } from "./layers/dense.ts";
import { dropout } from "./layers/dropout.ts";
import type { ModelInputs } from "./layers/inputs.ts";
import type { ForwardContext } from "./layers/context.ts";
import type { ModelSize } from "./model.ts";
import type { Dims } from "../common/batch.ts";

export interface FacebookViLBERTConfig extends ViLBERTConfig {
  headHidden: number;
  headDropout: number;
}

const BERT_VOCAB = { vocabSize: 30522, maxPositions: 512, typeVocabSize: 2, visualFeatureNorm: false, poolerActivation: "relu" as const };

export const PRESETS: Record<ModelSize, FacebookViLBERTConfig> = {
  base: {
    ...BERT_VOCAB,
    initializerRange: 0.02,
    text: stream(12, 768, 12, 3072),
    visual: stream(6, 1024, 8, 1024),
    bi: { biHidden: 1024, biHeads: 8, attentionDropout: 0.1 },
    tBiattentionId: [6, 7, 8, 9, 10, 11],
    vBiattentionId: [0, 1, 2, 3, 4, 5],
    headHidden: 1024,
    headDropout: 0.1,
  },
  small: {
    ...BERT_VOCAB,
    initializerRange: initializerRange(256),
    text: stream(4, 256, 4, 1024),
    visual: stream(2, 256, 4, 512),
    bi: { biHidden: 256, biHeads: 4, attentionDropout: 0.1 },
    tBiattentionId: [2, 3],
    vBiattentionId: [0, 1],
    headHidden: 256,
    headDropout: 0.1,
  },
  // full BERT vocabulary (the tokenizer's ids) with a small hidden size: 30522 x 64 = 2M of its ~2.3M weights
  tiny: {
    ...BERT_VOCAB,
    initializerRange: initializerRange(64),
    text: stream(2, 64, 2, 128),
    visual: stream(1, 64, 2, 128),
    bi: { biHidden: 64, biHeads: 2, attentionDropout: 0.1 },
    tBiattentionId: [1],
    vBiattentionId: [0],
    headHidden: 64,
    headDropout: 0.1,
  },
  minilm: {
    ...BERT_VOCAB,
    initializerRange: 0.02, // all-MiniLM-L6-v2's initializer_range, for the parts its file does not hold
    text: stream(6, 384, 12, 1536),
    visual: stream(2, 128, 4, 256),
    bi: { biHidden: 128, biHeads: 4, attentionDropout: 0.1, intermediate: 512 },
    tBiattentionId: [6],
    vBiattentionId: [1],
    headHidden: 128,
    headDropout: 0.1,
  },
};

export class FacebookViLBERT extends ViLBERTModel<FacebookViLBERTConfig> {
  readonly headDense: Dense;
  readonly headOut: Dense;

  constructor(size: ModelSize, dims: Dims, seed: number, config: FacebookViLBERTConfig = PRESETS[size]) {
    super("vilbert_facebook", size, dims, seed, config);
    const bi = config.bi.biHidden;
    this.headDense = new Dense(this.params, "classifier.dense", this.modalities.length * bi, config.headHidden);
    this.headOut = new Dense(this.params, "classifier.out_proj", config.headHidden, 2);
  }

  logits(x: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const fused = fusePooled(this.backbone.apply(x, ctx), (t, v) => tf.concat([t, v], 1)); // [B, modalities x biHidden]
    const hidden = dropout(this.headDense.apply(fused).relu(), this.config.headDropout, ctx);
    return this.headOut.apply(hidden) as tf.Tensor2D;
  }
}
