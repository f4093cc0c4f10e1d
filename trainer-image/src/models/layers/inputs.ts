// Batch (typed arrays) -> the tensors a ViLBERT forward pass takes. Everything here is input preparation, outside
// the gradient path (FIELD-NOTES: masks computed from differentiated tensors break tf.where's gradient).
//  - additive attention masks: 0 for real tokens/regions, -10000 for padding, shaped [B, 1, 1, L];
//  - a whole-image region is prepended to the visual stream, as ViLBERT's data loaders do: the mean of the real
//    regions' features with the box (0, 0, 1, 1, 1). The visual pooler reads this position.
import * as tf from "@tensorflow/tfjs";
import type { Batch, Dims } from "../../common/batch.ts";

export const MASKED = -10000;

export interface ModelInputs {
  inputIds: tf.Tensor2D;
  tokenTypeIds: tf.Tensor2D;
  textMask: tf.Tensor4D;
  /** [B, R + 1, D]: whole-image region first */
  features: tf.Tensor3D;
  /** [B, R + 1, 5] */
  boxes: tf.Tensor3D;
  visualMask: tf.Tensor4D;
  /** [B, T, Ht]: the frozen text part's cached output; the model then skips that part */
  textHidden?: tf.Tensor3D;
  /** [B, R + 1, Hv]: the same for the visual stream */
  visualHidden?: tf.Tensor3D;
}

/** A cached frozen output [B, L, H] as a tensor, its width told by its length. */
function hiddenTensor(values: Float32Array, b: number, l: number, name: string): tf.Tensor3D {
  const h = values.length / (b * l);
  if (!Number.isInteger(h) || h < 1) throw new Error(`batch.${name} has ${values.length} values, not B=${b} x ${l} x H`);
  return tf.tensor3d(values, [b, l, h]);
}

function additiveMask(mask: ArrayLike<number>, b: number, l: number): tf.Tensor4D {
  const out = new Float32Array(b * l);
  for (let i = 0; i < out.length; i++) out[i] = mask[i]! > 0 ? 0 : MASKED;
  return tf.tensor4d(out, [b, 1, 1, l]);
}

export function toModelInputs(batch: Batch, dims: Dims): ModelInputs {
  const { T, R, D } = dims;
  const b = batch.ids.length;
  const check = (name: string, got: number, want: number) => {
    if (got !== want) throw new Error(`batch.${name} has ${got} values, expected ${want} (B=${b}, T=${T}, R=${R}, D=${D})`);
  };
  check("inputIds", batch.inputIds.length, b * T);
  check("attentionMask", batch.attentionMask.length, b * T);
  check("tokenTypeIds", batch.tokenTypeIds.length, b * T);
  check("features", batch.features.length, b * R * D);
  check("boxes", batch.boxes.length, b * R * 5);
  check("regionMask", batch.regionMask.length, b * R);

  const features = new Float32Array(b * (R + 1) * D);
  const boxes = new Float32Array(b * (R + 1) * 5);
  const regionMask = new Float32Array(b * (R + 1));
  for (let i = 0; i < b; i++) {
    let real = 0;
    const mean = features.subarray(i * (R + 1) * D, i * (R + 1) * D + D);
    for (let r = 0; r < R; r++) {
      const isReal = batch.regionMask[i * R + r]! > 0;
      regionMask[i * (R + 1) + 1 + r] = isReal ? 1 : 0;
      const src = batch.features.subarray((i * R + r) * D, (i * R + r + 1) * D);
      features.set(src, (i * (R + 1) + 1 + r) * D);
      boxes.set(batch.boxes.subarray((i * R + r) * 5, (i * R + r + 1) * 5), (i * (R + 1) + 1 + r) * 5);
      if (isReal) {
        real++;
        for (let d = 0; d < D; d++) mean[d]! += src[d]!;
      }
    }
    if (real > 0) for (let d = 0; d < D; d++) mean[d]! /= real;
    boxes.set([0, 0, 1, 1, 1], i * (R + 1) * 5);
    regionMask[i * (R + 1)] = 1;
  }
  return {
    inputIds: tf.tensor2d(batch.inputIds, [b, T], "int32"),
    tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, [b, T], "int32"),
    textMask: additiveMask(batch.attentionMask, b, T),
    features: tf.tensor3d(features, [b, R + 1, D]),
    boxes: tf.tensor3d(boxes, [b, R + 1, 5]),
    visualMask: additiveMask(regionMask, b, R + 1),
    ...(batch.textHidden ? { textHidden: hiddenTensor(batch.textHidden, b, T, "textHidden") } : {}),
    ...(batch.visualHidden ? { visualHidden: hiddenTensor(batch.visualHidden, b, R + 1, "visualHidden") } : {}),
  };
}

export function disposeInputs(inputs: ModelInputs): void {
  tf.dispose(Object.values(inputs));
}
