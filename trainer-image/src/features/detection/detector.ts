// A Faster R-CNN ONNX export as a region extractor; `fasterrcnn` and `fasterrcnn_vg` are configurations of it.
//
// The ONNX interface (README.md in this directory shows an export wrapper):
//   input  images   [N, 3, S, S] float RGB in [0, 1], the image letterboxed (content top-left, black padding);
//                   [3, S, S] for single-image exports (torchvision's default)
//   output boxes    [N, K, 4] x1, y1, x2, y2 in input pixels      ([K, 4] for single-image exports)
//          scores   [N, K]                                        ([K])
//          features [N, C, h, w] a backbone map (C = D, e.g. 2048) ([C, h, w] or [1, C, h, w])
//          labels   [N, K] optional, unused
// Rows with score <= 0 are padding and are ignored. Boxes above the score threshold go through class-agnostic NMS;
// the best R are kept and described by the mean of RoIAlign over the map. Fewer than R: the remaining rows are the
// whole image (its box and its pooled map), and `realRegions` says how many rows are detections.
import { sha256File } from "../../models-io/file-hash.ts";
import type { DecodedImage, FeatureExtractor } from "../extractor.ts";
import { resizeLetterbox, type Resized } from "../image/resize.ts";
import { imageBatch, UNIT } from "../image/to-tensor.ts";
import { fixedBatchOf, inFixedBatches } from "../onnx/fixed-batch.ts";
import { OnnxModel, ort } from "../onnx/onnx-model.ts";
import type { CountedRegionFeatures } from "../region-count.ts";
import type { ExtractorRegistration } from "../registry.ts";
import { nonMaxSuppression, type Box } from "./nms.ts";
import { roiMean, type FeatureMap } from "./roi-align.ts";

export interface DetectorConfig {
  name: string;
  description: string;
  defaultModelFile: string;
  /** S when the graph's input size is symbolic. */
  inputSize: number;
  scoreThreshold: number;
  nmsThreshold: number;
}

const INTERFACE = {
  inputs: { images: ["images", "image", "pixel_values"] },
  outputs: { boxes: ["boxes"], scores: ["scores"], map: ["features", "feature_map"] },
  optionalOutputs: { labels: ["labels"] },
};

export function detector(config: DetectorConfig): ExtractorRegistration {
  return {
    description: config.description,
    defaultModelFile: config.defaultModelFile,
    async create(options) {
      const { name } = config;
      if (options.modelPath === undefined) throw new Error(`${name}: no model file given`);
      const regions = options.regions;
      const scoreThreshold = options.scoreThreshold ?? config.scoreThreshold;
      const nmsThreshold = options.nmsThreshold ?? config.nmsThreshold;
      const model = await OnnxModel.open(options.modelPath, INTERFACE);
      const sha256 = await sha256File(options.modelPath);
      const inputShape = model.inputShape("images");
      const single = inputShape.length === 3;
      const declaredSize = inputShape.at(-1);
      const size = typeof declaredSize === "number" ? declaredSize : config.inputSize;
      const mapShape = model.outputShape("map");
      const declaredDim = mapShape.length === 3 ? mapShape[0] : mapShape[1];
      const dim = typeof declaredDim === "number" ? declaredDim : 2048;

      const runChunk = async (images: DecodedImage[]): Promise<CountedRegionFeatures[]> => {
        // Pillow's bilinear, byte for byte: the exporter's reference letterboxes with PIL (export/README.md).
        const { data, resized } = await imageBatch(images, size, resizeLetterbox, "pil-bilinear", UNIT);
        const dims = single ? [3, size, size] : [images.length, 3, size, size];
        const out = await model.run({ images: new ort.Tensor("float32", data, dims) });
        return resized.map((r, n) => {
          const found = detections(out, n, images.length, model.path);
          const map = featureMap(out.map!, n, images.length, dim, model.path);
          return describeRegions(r, found, map, { regions, scoreThreshold, nmsThreshold });
        });
      };
      const extractor: FeatureExtractor = {
        name,
        dim,
        fingerprint: `${name}|model=${sha256}|regions=${regions}|input=${size}|score=${scoreThreshold}|nms=${nmsThreshold}|v2`,
        extract: (images) => inFixedBatches(images, single ? 1 : fixedBatchOf(inputShape), runChunk),
        close: () => model.close(),
      };
      return extractor;
    },
  };
}

export interface Detections {
  boxes: Box[];
  scores: number[];
}

/** Image n's detections from a run's outputs (boxes, scores), checked against [N, K, 4] and [N, K]. */
export function detections(out: Record<string, ort.Tensor>, n: number, batch: number, path: string): Detections {
  const boxes = out.boxes!;
  const scores = out.scores!;
  const k = boxes.dims.at(-2) ?? 0;
  const batched = boxes.dims.length === 3;
  if (boxes.dims.at(-1) !== 4 || (batched ? boxes.dims[0] !== batch : batch !== 1) || scores.data.length !== batch * k) {
    throw new Error(`${path}: boxes [${boxes.dims.join(", ")}] and scores [${scores.dims.join(", ")}] do not match [N, K, 4] and [N, K] for N=${batch}`);
  }
  const b = Float32Array.from(boxes.data as ArrayLike<number>);
  const s = Float32Array.from(scores.data as ArrayLike<number>);
  const result: Detections = { boxes: [], scores: [] };
  for (let i = 0; i < k; i++) {
    const at = (n * k + i) * 4;
    result.boxes.push([b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!]);
    result.scores.push(s[n * k + i]!);
  }
  return result;
}

function featureMap(map: ort.Tensor, n: number, batch: number, dim: number, path: string): FeatureMap {
  const dims = map.dims.length === 3 ? [1, ...map.dims] : map.dims;
  const [count, channels, height, width] = dims;
  if (map.type !== "float32" || dims.length !== 4 || count !== batch || channels !== dim) {
    throw new Error(`${path}: feature map ${map.type} [${map.dims.join(", ")}], expected float32 [${batch}, ${dim}, h, w]`);
  }
  return { data: map.data as Float32Array, offset: n * dim * height! * width!, channels: dim, height: height!, width: width! };
}

export interface Selection {
  regions: number;
  scoreThreshold: number;
  nmsThreshold: number;
}

/**
 * The detections kept as regions (indices into `found`, best first) and every box clipped to the image inside the
 * square (contentWidth x contentHeight, not the padding): score > 0 and >= the threshold, not empty after clipping,
 * class-agnostic NMS, at most `regions`.
 */
export function selectDetections(found: Detections, contentWidth: number, contentHeight: number, selection: Selection): { kept: number[]; clipped: Box[] } {
  const [cw, ch] = [contentWidth, contentHeight];
  const candidates: number[] = [];
  const clipped = found.boxes.map(([x1, y1, x2, y2]): Box => [clamp(x1, cw), clamp(y1, ch), clamp(x2, cw), clamp(y2, ch)]);
  found.scores.forEach((score, i) => {
    const [x1, y1, x2, y2] = clipped[i]!;
    if (score > 0 && score >= selection.scoreThreshold && x2 > x1 && y2 > y1) candidates.push(i);
  });
  const kept = nonMaxSuppression(
    candidates.map((i) => clipped[i]!),
    candidates.map((i) => found.scores[i]!),
    selection.nmsThreshold,
    selection.regions,
  ).map((j) => candidates[j]!);
  return { kept, clipped };
}

function describeRegions(image: Resized, found: Detections, map: FeatureMap, selection: Selection): CountedRegionFeatures {
  const { contentWidth: cw, contentHeight: ch } = image;
  const { kept, clipped } = selectDetections(found, cw, ch, selection);
  const { regions } = selection;
  const features = new Float32Array(regions * map.channels);
  const boxes = new Float32Array(regions * 5);
  const whole: Box = [0, 0, cw, ch];
  const scaleX = map.width / image.size;
  const scaleY = map.height / image.size;
  for (let r = 0; r < regions; r++) {
    const [x1, y1, x2, y2] = r < kept.length ? clipped[kept[r]!]! : whole;
    features.set(roiMean(map, [x1 * scaleX, y1 * scaleY, x2 * scaleX, y2 * scaleY]), r * map.channels);
    const nx1 = x1 / cw;
    const ny1 = y1 / ch;
    const nx2 = x2 / cw;
    const ny2 = y2 / ch;
    boxes.set([nx1, ny1, nx2, ny2, (nx2 - nx1) * (ny2 - ny1)], r * 5);
  }
  return { regions, dim: map.channels, features, boxes, realRegions: kept.length };
}

const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max);
