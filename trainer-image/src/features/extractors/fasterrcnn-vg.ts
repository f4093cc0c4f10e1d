// `fasterrcnn_vg`: the Visual Genome ResNet-101 detector (1600 classes) of bottom-up attention, as ViLBERT used.
import { detector } from "../detection/detector.ts";

export const fasterrcnnVg = detector({
  name: "fasterrcnn_vg",
  description: "Visual Genome (1600 classes) Faster R-CNN ONNX, RoIAlign-pooled features per detected box",
  defaultModelFile: "faster_rcnn_res101_vg.onnx",
  inputSize: 600,
  scoreThreshold: 0.2,
  nmsThreshold: 0.3,
});
