// `fasterrcnn`: a COCO Faster R-CNN (the original project: score >= 0.2, top 36 boxes, 2048-d box features).
import { detector } from "../detection/detector.ts";

export const fasterrcnn = detector({
  name: "fasterrcnn",
  description: "COCO Faster R-CNN ONNX, RoIAlign-pooled backbone features per detected box",
  defaultModelFile: "fasterrcnn_coco.onnx",
  inputSize: 800,
  scoreThreshold: 0.2,
  nmsThreshold: 0.3,
});
