// `clip`: CLIP ViT-B/32 vision tower (Hugging Face CLIPVisionModel export): last_hidden_state [N, 50, 768];
// the CLS token is dropped and the 7x7 patch tokens are the regions (49), or are pooled to a coarser grid.
// export/ `clip` entry; the image is squashed with Pillow's bicubic, byte for byte torchvision's Resize on PIL.
import { gridBackbone } from "../grid-backbone.ts";
import { CLIP } from "../image/to-tensor.ts";

export const clip = gridBackbone({
  name: "clip",
  description: "CLIP ViT-B/32 ONNX vision tower, 768-d patch tokens (7x7)",
  defaultModelFile: "clip_vit_b32_vision.onnx",
  inputNames: ["pixel_values"],
  outputNames: ["last_hidden_state"],
  layout: "tokens",
  inputSize: 224,
  normalisation: CLIP,
  kernel: "pil-bicubic",
  dim: 768,
});
