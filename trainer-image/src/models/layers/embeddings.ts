// The two streams' input embeddings.
//  Text (bert.embeddings): word + position + token type, LayerNorm, dropout.
//  Visual (bert.v_embeddings): Linear(D -> Hv) of the region features plus Linear(5 -> Hv) of the boxes, summed,
//  LayerNorm, dropout. `featureNorm` adds a LayerNorm on the feature projection before the sum (the hf variant).
import * as tf from "@tensorflow/tfjs";
import type { ParamStore } from "./params.ts";
import { Dense } from "./dense.ts";
import { LayerNorm } from "./layer-norm.ts";
import { dropout } from "./dropout.ts";
import { embeddingLookup } from "./kernels.ts";
import type { ForwardContext } from "./context.ts";

export interface TextEmbeddingShape {
  vocabSize: number;
  maxPositions: number;
  typeVocabSize: number;
  hidden: number;
  dropout: number;
}

export class TextEmbeddings {
  readonly words: tf.Variable;
  readonly positions: tf.Variable;
  readonly tokenTypes: tf.Variable;
  readonly norm: LayerNorm;
  constructor(p: ParamStore, name: string, private readonly s: TextEmbeddingShape) {
    this.words = p.create(`${name}.word_embeddings.weight`, [s.vocabSize, s.hidden], p.normal);
    this.positions = p.create(`${name}.position_embeddings.weight`, [s.maxPositions, s.hidden], p.normal);
    this.tokenTypes = p.create(`${name}.token_type_embeddings.weight`, [s.typeVocabSize, s.hidden], p.normal);
    this.norm = new LayerNorm(p, `${name}.LayerNorm`, s.hidden);
  }
  /** ids, types: int32 [B, T] -> [B, T, H] */
  apply(ids: tf.Tensor, types: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const t = ids.shape[1]!;
    if (t > this.s.maxPositions) throw new Error(`sequence length ${t} exceeds maxPositions ${this.s.maxPositions}`);
    const words = embeddingLookup(this.words as tf.Tensor2D, ids);
    const typeVectors = embeddingLookup(this.tokenTypes as tf.Tensor2D, types);
    const positions = this.positions.slice([0, 0], [t, this.s.hidden]); // [T, H], broadcast over B
    return dropout(this.norm.apply(words.add(typeVectors).add(positions)), this.s.dropout, ctx);
  }
}

export interface VisualEmbeddingShape {
  featureSize: number;
  hidden: number;
  dropout: number;
  featureNorm: boolean;
}

export class VisualEmbeddings {
  readonly features: Dense;
  readonly boxes: Dense;
  readonly featureNorm: LayerNorm | null;
  readonly norm: LayerNorm;
  constructor(p: ParamStore, name: string, private readonly s: VisualEmbeddingShape) {
    this.features = new Dense(p, `${name}.image_embeddings`, s.featureSize, s.hidden);
    this.featureNorm = s.featureNorm ? new LayerNorm(p, `${name}.image_embeddings_LayerNorm`, s.hidden) : null;
    this.boxes = new Dense(p, `${name}.image_location_embeddings`, 5, s.hidden);
    this.norm = new LayerNorm(p, `${name}.LayerNorm`, s.hidden);
  }
  /** features [B, R, D], boxes [B, R, 5] -> [B, R, Hv] */
  apply(features: tf.Tensor, boxes: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    let f = this.features.apply(features);
    if (this.featureNorm) f = this.featureNorm.apply(f);
    return dropout(this.norm.apply(f.add(this.boxes.apply(boxes))), this.s.dropout, ctx);
  }
}
