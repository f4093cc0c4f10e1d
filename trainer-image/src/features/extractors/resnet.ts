// `resnet`: ResNet-152 layer4 ([N, 2048, 7, 7] for a 224 input), average-pooled to the regions' grid
// (7x7 -> 6x6 for 36 regions, as the original project). Exports: torchvision with the fc and avgpool removed
// (input "input"; export/ `resnet` entry), or Hugging Face ResNetModel (input "pixel_values", output
// "last_hidden_state"). The image is squashed to 224x224 with Pillow's bilinear, byte for byte what torchvision's
// Resize gives on a PIL image, so the map equals the exporter's PyTorch reference.
import { gridBackbone } from "../grid-backbone.ts";
import { IMAGENET } from "../image/to-tensor.ts";

export const resnet = gridBackbone({
  name: "resnet",
  description: "ResNet-152 ONNX, layer4 2048-d map pooled to a grid",
  defaultModelFile: "resnet152.onnx",
  inputNames: ["input", "pixel_values"],
  outputNames: ["layer4", "last_hidden_state", "features", "output"],
  layout: "nchw",
  inputSize: 224,
  normalisation: IMAGENET,
  kernel: "pil-bilinear",
  dim: 2048,
});
