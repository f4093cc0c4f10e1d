// The detector extractors against the real architectures: torchvision's Faster R-CNN ResNet-50 FPN (COCO) and the
// Visual Genome ResNet-101 C4 detector rebuilt from torchvision parts, exported by export/ at reduced width, depth and
// input size with seeded random weights, and the PyTorch modules' own outputs on the committed images, letterboxed
// with PIL; then memeops' selection (threshold, class-agnostic NMS, top R) and the RoIAlign means done in Python with
// torchvision.ops (export/memeops_exporter/detection_reference.py).
// Regenerate: see test/fixtures/exported/README.md.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { featuresSpec } from "../../../api/v1alpha1/spec.ts";
import { decodeImageFile } from "../../../trainer-image/src/data/decode.ts";
import { detections } from "../../../trainer-image/src/features/detection/detector.ts";
import type { DecodedImage } from "../../../trainer-image/src/features/extractor.ts";
import { resizeLetterbox } from "../../../trainer-image/src/features/image/resize.ts";
import { UNIT, writeChw } from "../../../trainer-image/src/features/image/to-tensor.ts";
import { ort, sessionOptions } from "../../../trainer-image/src/features/onnx/onnx-model.ts";
import { openExtractorForSpec } from "../../../trainer-image/src/features/open-for-spec.ts";
import type { CountedRegionFeatures } from "../../../trainer-image/src/features/region-count.ts";
import { compareDetections, readDetectionReference, regionDifference, roiAlignDifference } from "../../fixtures/exported/reference.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/exported");
const DETECTORS = [
  { extractor: "fasterrcnn", model: join(FIXTURES, "fasterrcnn-reduced/fasterrcnn_coco.onnx") },
  { extractor: "fasterrcnn_vg", model: join(FIXTURES, "fasterrcnn_vg-reduced/faster_rcnn_res101_vg.onnx") },
] as const;
// onnxruntime against PyTorch on the same input: box corners in input pixels (0..256; measured: at most 1.6e-4 over
// the matched detections, 6.1e-5 over the kept ones), scores in [0, 1] (measured: at most 2.7e-6).
const BOX_TOLERANCE = 5e-4;
const SCORE_TOLERANCE = 1e-5;

describe.each(DETECTORS)("$extractor extractor = the PyTorch module (exported, reduced, seeded weights)", ({ extractor: name, model }) => {
  const reference = readDetectionReference(model);
  const { size, selection } = reference;
  const decoded = new Map<string, DecodedImage>();
  let session: ort.InferenceSession;

  beforeAll(async () => {
    for (const ref of reference.images) decoded.set(ref.file, (await decodeImageFile(join(FIXTURES, "images", ref.file))).image);
    session = await ort.InferenceSession.create(model, sessionOptions());
  });
  afterAll(() => session.release());

  it("covers the image kinds the issue names, with detections that differ from image to image", () => {
    expect([...new Set(reference.images.map((i) => i.mode))].sort()).toEqual(["L", "RGB", "RGBA"]);
    expect(Math.min(...reference.images.map((i) => Math.max(i.width, i.height)))).toBe(64);
    expect(Math.max(...reference.images.map((i) => Math.max(i.width, i.height)))).toBe(2000);
    // a collapsed random network (the same boxes for every image) would accept any preprocessing
    const firstBoxes = reference.images.map((i) => Array.from(reference.values.subarray(i.boxes, i.boxes + 4 * i.realRegions)).join());
    expect(new Set(firstBoxes).size).toBe(reference.images.length);
    for (const image of reference.images) expect(image.realRegions).toBeGreaterThan(0);
  });

  it.each(reference.images.map((i) => [i.file, i] as const))("%s: PIL's letterbox, PyTorch's detections, kept set and region features", async (_, ref) => {
    const image = decoded.get(ref.file)!;
    const letterboxed = await resizeLetterbox(image, size, "pil-bilinear");
    expect(createHash("sha256").update(letterboxed.rgb).digest("hex")).toBe(ref.resizedSha256);
    expect([letterboxed.contentWidth, letterboxed.contentHeight]).toEqual([ref.contentWidth, ref.contentHeight]);

    // The graph itself, on the same input. Most of onnxruntime's K detections are PyTorch's (same label, box and
    // score); not all: where anchors tie (equal scores over uniform areas such as the letterbox padding) or an IoU
    // sits at an NMS threshold, the two runtimes may keep different proposals, and the boxes after them differ.
    // What memeops keeps of them is PyTorch's selection: the same boxes in the same order, with the same scores.
    const input = new Float32Array(3 * size * size);
    writeChw(letterboxed.rgb, size, UNIT, input, 0);
    const out = await session.run({ images: new ort.Tensor("float32", input, [1, 3, size, size]) });
    expect(out.boxes!.dims).toEqual([1, expect.any(Number), 4]);
    const labels = Array.from(out.labels!.data as BigInt64Array, Number);
    const graph = compareDetections(detections(out, 0, 1, model), labels, reference, ref);
    expect(graph.matched).toBeGreaterThan(0.5); // measured: at least 0.77 (reduced), 0.98 (full size)
    expect(graph.worstBox).toBeLessThan(BOX_TOLERANCE);
    expect(graph.worstScore).toBeLessThan(SCORE_TOLERANCE);
    expect(graph.keptCount).toBe(ref.realRegions);
    expect(graph.keptWorstBox).toBeLessThan(BOX_TOLERANCE);
    expect(graph.keptWorstScore).toBeLessThan(SCORE_TOLERANCE);

    // The extractor end to end.
    const spec = featuresSpec.parse({ extractor: name, regions: selection.regions, model, detector: { scoreThreshold: selection.scoreThreshold, nmsThreshold: selection.nmsThreshold } });
    const { extractor, manifest } = await openExtractorForSpec(spec, { modelDir: "/nonexistent", cacheDir: "/nonexistent", allowTestOnly: true });
    expect(manifest?.testOnly).toBe(true);
    const [regions] = (await extractor.extract([image])) as CountedRegionFeatures[];
    await extractor.close();
    const extracted = regionDifference(regions!, reference, ref);
    expect(extracted.realRegions).toBe(ref.realRegions);
    expect(extracted.worstBox).toBeLessThan(1e-5);
    expect(extracted.scale).toBeGreaterThan(0.1);
    expect(extracted.relative).toBeLessThan(1e-4);
  });

  it.each(reference.images.map((i) => [i.file, i] as const))("%s: roi-align.ts on PyTorch's map = torchvision's roi_align within 1e-5", (_, ref) => {
    expect(roiAlignDifference(reference, ref)).toBeLessThan(1e-5);
  });
});

describe("the two detector fixtures together", () => {
  it("exercise a detector keeping fewer than R boxes (the rest: the whole image)", () => {
    const counts = DETECTORS.flatMap(({ model }) => readDetectionReference(model).images.map((i) => i.realRegions));
    expect(Math.min(...counts)).toBeLessThan(readDetectionReference(DETECTORS[0].model).selection.regions);
  });
});
