// A CNN or ViT backbone whose output is a spatial map, pooled onto a side x side grid of regions. The resnet and
// clip extractors are configurations of this one implementation.
import { sha256File } from "../models-io/file-hash.ts";
import type { FeatureExtractor, RegionFeatures } from "./extractor.ts";
import { adaptiveAvgPool, gridBoxes, gridSide, type MapView } from "./grid.ts";
import { resizeSquare, type ResizeKernel } from "./image/resize.ts";
import { imageBatch, type Normalisation } from "./image/to-tensor.ts";
import { fixedBatchOf, inFixedBatches } from "./onnx/fixed-batch.ts";
import { OnnxModel, ort } from "./onnx/onnx-model.ts";
import type { ExtractorRegistration } from "./registry.ts";

export interface GridBackboneConfig {
  name: string;
  description: string;
  defaultModelFile: string;
  /** Accepted names of the image input, [N, 3, inputSize, inputSize]. */
  inputNames: readonly string[];
  /** Accepted names of the map output. */
  outputNames: readonly string[];
  /** nchw: [N, D, H, W] (a CNN stage). tokens: [N, 1 + H*W, D] with a leading CLS token (a ViT). */
  layout: "nchw" | "tokens";
  inputSize: number;
  normalisation: Normalisation;
  kernel: ResizeKernel;
  /** D when the graph does not declare it. */
  dim: number;
}

export function gridBackbone(config: GridBackboneConfig): ExtractorRegistration {
  return {
    description: config.description,
    defaultModelFile: config.defaultModelFile,
    async create(options) {
      const { name, inputSize: size } = config;
      const side = gridSide(options.regions, name);
      if (options.modelPath === undefined) throw new Error(`${name}: no model file given`);
      const model = await OnnxModel.open(options.modelPath, {
        inputs: { pixels: config.inputNames },
        outputs: { map: config.outputNames },
      });
      const sha256 = await sha256File(options.modelPath);
      checkInputShape(model, name, size);
      const declared = model.outputShape("map");
      const declaredDim = config.layout === "nchw" ? declared[1] : declared[2];
      const dim = typeof declaredDim === "number" ? declaredDim : config.dim;
      const boxes = gridBoxes(side);

      const runChunk = async (images: Parameters<FeatureExtractor["extract"]>[0]): Promise<RegionFeatures[]> => {
        const { data } = await imageBatch(images, size, resizeSquare, config.kernel, config.normalisation);
        const { map } = await model.run({ pixels: new ort.Tensor("float32", data, [images.length, 3, size, size]) });
        return images.map((_, n) => {
          const view = mapView(map!, n, config, dim, model.path);
          if (side > view.height || side > view.width) {
            throw new Error(`${name}: ${options.regions} regions need a ${side}x${side} grid, finer than ${model.path}'s ${view.height}x${view.width} map`);
          }
          const features = adaptiveAvgPool(view, side);
          return { regions: side * side, dim, features, boxes: boxes.slice() };
        });
      };
      const extractor: FeatureExtractor = {
        name,
        dim,
        fingerprint: `${name}|model=${sha256}|regions=${options.regions}|input=${size}|resize=${config.kernel}|v1`,
        extract: (images) => inFixedBatches(images, fixedBatchOf(model.inputShape("pixels")), runChunk),
        close: () => model.close(),
      };
      return extractor;
    },
  };
}

function checkInputShape(model: OnnxModel, name: string, size: number): void {
  const [, channels, height, width] = model.inputShape("pixels");
  const bad = (d: number | string | undefined, want: number) => typeof d === "number" && d !== want;
  if (bad(channels, 3) || bad(height, size) || bad(width, size)) {
    throw new Error(`${name}: ${model.path} takes [N, ${channels}, ${height}, ${width}], expected [N, 3, ${size}, ${size}]`);
  }
}

/** Image n's map inside the batch output, checked against the interface. */
function mapView(map: ort.Tensor, n: number, config: GridBackboneConfig, dim: number, path: string): MapView {
  if (map.type !== "float32") throw new Error(`${config.name}: ${path} returned ${map.type}, expected float32`);
  const dims = map.dims;
  const data = map.data as Float32Array;
  const per = data.length / dims[0]!;
  const fail = (expected: string) =>
    new Error(`${config.name}: ${path} returned a map of shape [${dims.join(", ")}], expected ${expected}`);
  if (config.layout === "nchw") {
    const [, channels, height, width] = dims;
    if (dims.length !== 4 || channels !== dim) throw fail(`[N, ${dim}, H, W]`);
    return { data, offset: n * per, channels, height: height!, width: width!, channelStride: height! * width!, rowStride: width!, colStride: 1 };
  }
  const [, tokens, channels] = dims;
  const side = Math.round(Math.sqrt(tokens! - 1));
  if (dims.length !== 3 || channels !== dim || side * side !== tokens! - 1) throw fail(`[N, 1 + H*W, ${dim}]`);
  // Skip the CLS token: patch tokens are row-major over the image.
  return { data, offset: n * per + dim, channels: dim, height: side, width: side, channelStride: 1, rowStride: side * dim, colStride: dim };
}
