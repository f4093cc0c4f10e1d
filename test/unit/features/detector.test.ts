import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DecodedImage } from "../../../trainer-image/src/features/extractor.ts";
import type { CountedRegionFeatures } from "../../../trainer-image/src/features/region-count.ts";
import { createExtractor } from "../../../trainer-image/src/features/registry.ts";
import { detectorLike } from "../../fixtures/onnx/graphs.ts";
import { fixture, makeImage } from "./helpers.ts";

const modelPath = fixture("detector-like.onnx");
const detect = async (images: DecodedImage[], options: { regions: number; scoreThreshold?: number; nmsThreshold?: number }, name = "fasterrcnn", path = modelPath) => {
  const extractor = await createExtractor(name, { ...options, modelPath: path });
  const out = (await extractor.extract(images)) as CountedRegionFeatures[];
  await extractor.close();
  return out;
};
const boxRows = (f: CountedRegionFeatures) =>
  Array.from({ length: f.regions }, (_, r) => Array.from(f.boxes.subarray(r * 5, r * 5 + 5), (v) => Math.round(v * 1e4) / 1e4));

// Red per quadrant: top-left 255, top-right 128, bottom-left 60, bottom-right 0 -> scores 1, 0.9 (same quadrant),
// 0.502, 0.235, 0, 0 for the stand-in's six boxes.
const quadrants = makeImage(128, 128, (x, y) => [[255, 128, 60, 0][(y < 64 ? 0 : 2) + (x < 64 ? 0 : 1)]!, 40, 90]);

// The stand-in graph fixes its boxes and scores, so selection, padding and interface rules can be checked exactly;
// region features against torchvision's RoIAlign on a real exported detector: exported-detectors.test.ts.
describe("detector extractors", () => {
  it("thresholds, suppresses overlaps, keeps the best boxes and pads with the whole image", async () => {
    const [out] = await detect([quadrants], { regions: 5 });
    expect(out!.realRegions).toBe(3);
    expect(boxRows(out!)).toEqual([
      [0, 0, 0.5, 0.5, 0.25], // score 1
      [0.5, 0, 1, 0.5, 0.25], // 0.502 (the 0.9 box overlapped the first: dropped)
      [0, 0.5, 0.5, 1, 0.25], // 0.235
      [0, 0, 1, 1, 1], // padding: the whole image
      [0, 0, 1, 1, 1],
    ]);
  });

  it("normalises boxes by the image, not the letterbox padding", async () => {
    // 256x128 -> 128x64 inside the 128 square: the lower boxes fall in the padding and are dropped.
    const [out] = await detect([makeImage(256, 128, () => [255, 0, 0])], { regions: 3 });
    expect(out!.realRegions).toBe(2);
    expect(boxRows(out!)).toEqual([
      [0, 0, 0.5, 1, 0.5],
      [0.5, 0, 1, 1, 0.5],
      [0, 0, 1, 1, 1],
    ]);
  });

  it("reports a detector that finds nothing: every region is the whole image, never zeros", async () => {
    const [out] = await detect([makeImage(100, 70, () => [0, 0, 0])], { regions: 3 });
    expect(out!.realRegions).toBe(0);
    expect(boxRows(out!)).toEqual([[0, 0, 1, 1, 1], [0, 0, 1, 1, 1], [0, 0, 1, 1, 1]]);
    // Black input: the map is the conv bias everywhere, so each region is the bias vector.
    expect(Array.from(out!.features.subarray(0, 6))).toEqual([0, 1, 2, 3, 4, 0].map((v) => expect.closeTo(v / 10, 6)));
  });

  it("takes thresholds from the spec, defaults from the extractor, and both enter the fingerprint", async () => {
    expect((await detect([quadrants], { regions: 5, scoreThreshold: 0.95 }))[0]!.realRegions).toBe(1);
    expect((await detect([quadrants], { regions: 5, nmsThreshold: 0.9 }))[0]!.realRegions).toBe(4);
    const coco = await createExtractor("fasterrcnn", { regions: 36, modelPath });
    const vg = await createExtractor("fasterrcnn_vg", { regions: 36, modelPath });
    const strict = await createExtractor("fasterrcnn", { regions: 36, modelPath, scoreThreshold: 0.5 });
    expect(coco.fingerprint).toMatch(/^fasterrcnn\|model=[a-f0-9]{64}\|regions=36\|input=128\|score=0.2\|nms=0.3\|v2$/);
    expect(new Set([coco.fingerprint, vg.fingerprint, strict.fingerprint]).size).toBe(3);
  });

  it("runs torchvision-style single-image exports one image at a time, with the same results", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "memeops-det-"));
    writeFileSync(join(tmp, "single.onnx"), detectorLike({ single: true }));
    const images = [quadrants, makeImage(256, 128, () => [255, 0, 0])];
    const batched = await detect(images, { regions: 4 });
    const single = await detect(images, { regions: 4 }, "fasterrcnn", join(tmp, "single.onnx"));
    single.forEach((f, i) => {
      expect(f.realRegions).toBe(batched[i]!.realRegions);
      expect(Array.from(f.features)).toEqual(Array.from(batched[i]!.features));
      expect(Array.from(f.boxes)).toEqual(Array.from(batched[i]!.boxes));
    });
  });

  it("names the file and the expected outputs when the graph is not a detector", async () => {
    const path = fixture("resnet-like.onnx");
    await expect(createExtractor("fasterrcnn_vg", { regions: 36, modelPath: path })).rejects.toThrow(
      `ONNX model ${path} has no input for images: expected one of [images, image, pixel_values]`,
    );
  });
});
