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
import { detections, selectDetections, type Detections } from "../../../trainer-image/src/features/detection/detector.ts";
import { roiMean } from "../../../trainer-image/src/features/detection/roi-align.ts";
import type { DecodedImage } from "../../../trainer-image/src/features/extractor.ts";
import { resizeLetterbox } from "../../../trainer-image/src/features/image/resize.ts";
import { UNIT, writeChw } from "../../../trainer-image/src/features/image/to-tensor.ts";
import { ort, sessionOptions } from "../../../trainer-image/src/features/onnx/onnx-model.ts";
import { openExtractorForSpec } from "../../../trainer-image/src/features/open-for-spec.ts";
import type { CountedRegionFeatures } from "../../../trainer-image/src/features/region-count.ts";
import { readDetectionReference, type DetectionReference, type DetectionReferenceImage } from "../../fixtures/exported/reference.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/exported");
const DETECTORS = [
  { extractor: "fasterrcnn", model: join(FIXTURES, "fasterrcnn-reduced/fasterrcnn_coco.onnx") },
  { extractor: "fasterrcnn_vg", model: join(FIXTURES, "fasterrcnn_vg-reduced/faster_rcnn_res101_vg.onnx") },
] as const;
// onnxruntime against PyTorch on the same input: box corners in input pixels (0..256; measured: at most 1.6e-4),
// scores in [0, 1] (measured: at most 2.7e-6).
const BOX_TOLERANCE = 5e-4;
const SCORE_TOLERANCE = 1e-5;

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};

/** The reference's own detections (PyTorch's boxes and scores) in the extractor's form. */
function referenceDetections(ref: DetectionReference, image: DetectionReferenceImage): Detections {
  const v = ref.values;
  return {
    boxes: Array.from({ length: image.detections }, (_, k) => {
      const at = image.boxes + 4 * k;
      return [v[at]!, v[at + 1]!, v[at + 2]!, v[at + 3]!] as const;
    }),
    scores: Array.from(v.subarray(image.scores, image.scores + image.detections)),
  };
}

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
    const input = new Float32Array(3 * size * size);
    writeChw(letterboxed.rgb, size, UNIT, input, 0);
    const out = await session.run({ images: new ort.Tensor("float32", input, [1, 3, size, size]) });
    const ours = detections(out, 0, 1, model);
    const theirs = referenceDetections(reference, ref);
    const labels = Array.from(out.labels!.data as BigInt64Array, Number);
    const matched = theirs.boxes.filter((box, i) =>
      ours.boxes.some((b, j) => labels[j] === reference.values[ref.labels + i] && maxAbsDiff(b, box) < BOX_TOLERANCE && Math.abs(ours.scores[j]! - theirs.scores[i]!) < SCORE_TOLERANCE),
    );
    expect(matched.length / ref.detections).toBeGreaterThan(0.75);

    // What memeops keeps of them is PyTorch's selection: the same boxes in the same order, same scores.
    const selected = selectDetections(ours, ref.contentWidth, ref.contentHeight, selection);
    const expected = selectDetections(theirs, ref.contentWidth, ref.contentHeight, selection);
    expect(expected.kept).toEqual(ref.kept);
    expect(selected.kept.length).toBe(ref.kept.length);
    selected.kept.forEach((k, r) => {
      expect(maxAbsDiff(selected.clipped[k]!, expected.clipped[ref.kept[r]!]!)).toBeLessThan(BOX_TOLERANCE);
      expect(Math.abs(ours.scores[k]! - theirs.scores[ref.kept[r]!]!)).toBeLessThan(SCORE_TOLERANCE);
    });

    // The extractor end to end.
    const spec = featuresSpec.parse({ extractor: name, regions: selection.regions, model, detector: { scoreThreshold: selection.scoreThreshold, nmsThreshold: selection.nmsThreshold } });
    const { extractor, manifest } = await openExtractorForSpec(spec, { modelDir: "/nonexistent", cacheDir: "/nonexistent", allowTestOnly: true });
    expect(manifest?.testOnly).toBe(true);
    const [regions] = (await extractor.extract([image])) as CountedRegionFeatures[];
    await extractor.close();
    const [channels] = ref.featureShape;
    expect(regions!.realRegions).toBe(ref.realRegions);
    expect(maxAbsDiff(regions!.boxes, reference.values.subarray(ref.regionBoxes, ref.regionBoxes + 5 * selection.regions))).toBeLessThan(1e-5);
    const features = reference.values.subarray(ref.regionFeatures, ref.regionFeatures + selection.regions * channels);
    const scale = features.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(scale).toBeGreaterThan(0.1);
    expect(maxAbsDiff(regions!.features, features) / scale).toBeLessThan(1e-4);
  });

  it.each(reference.images.map((i) => [i.file, i] as const))("%s: roi-align.ts on PyTorch's map = torchvision's roi_align within 1e-5", (_, ref) => {
    const [channels, height, width] = ref.featureShape;
    const map = { data: reference.values, offset: ref.features, channels, height, width };
    const { kept, clipped } = selectDetections(referenceDetections(reference, ref), ref.contentWidth, ref.contentHeight, selection);
    expect(kept).toEqual(ref.kept);
    const whole = [0, 0, ref.contentWidth, ref.contentHeight] as const;
    const rows = Array.from({ length: selection.regions }, (_, r) => (r < kept.length ? clipped[kept[r]!]! : whole));
    const ours = rows.flatMap(([x1, y1, x2, y2]) => Array.from(roiMean(map, [(x1 * width) / size, (y1 * height) / size, (x2 * width) / size, (y2 * height) / size])));
    expect(maxAbsDiff(ours, reference.values.subarray(ref.regionFeatures, ref.regionFeatures + selection.regions * channels))).toBeLessThan(1e-5);
  });
});

describe("the two detector fixtures together", () => {
  it("exercise a detector keeping fewer than R boxes (the rest: the whole image)", () => {
    const counts = DETECTORS.flatMap(({ model }) => readDetectionReference(model).images.map((i) => i.realRegions));
    expect(Math.min(...counts)).toBeLessThan(readDetectionReference(DETECTORS[0].model).selection.regions);
  });
});
