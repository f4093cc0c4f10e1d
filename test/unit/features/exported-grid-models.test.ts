// The grid extractors against the real architectures: EfficientNet-Lite0, torchvision's ResNet and CLIP's ViT exported by
// export/ at reduced width and depth with seeded random weights, and the PyTorch modules' own outputs on committed
// images (PNG, JPEG, grayscale, alpha, 64 to 2000 px, portrait and landscape) through torchvision's transforms on
// PIL images.
// Regenerate: see test/fixtures/exported/README.md.
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { featuresSpec } from "../../../api/v1alpha1/spec.ts";
import { decodeImageFile } from "../../../trainer-image/src/data/decode.ts";
import { openExtractorForSpec } from "../../../trainer-image/src/features/open-for-spec.ts";
import { resizeSquare } from "../../../trainer-image/src/features/image/resize.ts";
import { pooledReference, readReference, relativeError } from "../../fixtures/exported/reference.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/exported");
const MODEL = join(FIXTURES, "efficientnet-reduced/efficientnet_lite0.onnx");
const GRID_MODELS = [
  { extractor: "efficientnet", model: MODEL, kernel: "pil-bicubic" },
  { extractor: "resnet", model: join(FIXTURES, "resnet-reduced/resnet152.onnx"), kernel: "pil-bilinear" },
  { extractor: "clip", model: join(FIXTURES, "clip-reduced/clip_vit_b32_vision.onnx"), kernel: "pil-bicubic" },
] as const;

const tmp = mkdtempSync(join(tmpdir(), "memeops-exported-"));
const sources = (allowTestOnly: boolean) => ({ modelDir: "/nonexistent", cacheDir: tmp, allowTestOnly });
const spec = (model: string, extractor = "efficientnet") => featuresSpec.parse({ extractor, regions: 49, model });

describe.each(GRID_MODELS)("$extractor extractor = the PyTorch module (exported, reduced, seeded weights)", ({ extractor: name, model, kernel }) => {
  const reference = readReference(model);

  it("covers the image kinds the issue names, with maps that differ from image to image", () => {
    expect([...new Set(reference.images.map((i) => i.mode))].sort()).toEqual(["L", "RGB", "RGBA"]);
    expect(Math.min(...reference.images.map((i) => Math.max(i.width, i.height)))).toBe(64);
    expect(Math.max(...reference.images.map((i) => Math.max(i.width, i.height)))).toBe(2000);
    expect(reference.images.some((i) => i.height > i.width) && reference.images.some((i) => i.width > i.height)).toBe(true);
    // a collapsed random network (the same map for every image) would accept any preprocessing
    const [first, ...rest] = reference.images;
    const size = first!.shape.reduce((a, b) => a * b, 1);
    const map = (i: { offset: number }) => reference.values.subarray(i.offset, i.offset + size);
    for (const other of rest) {
      const [a, b] = [map(first!), map(other)];
      expect(a.reduce((m, v, k) => Math.max(m, Math.abs(v - b[k]!)), 0)).toBeGreaterThan(1);
    }
  });

  it.each(reference.images.map((i) => [i.file, i] as const))("%s: same resized bytes as PIL, same map within 1e-4", async (_, ref) => {
    const { image } = await decodeImageFile(join(FIXTURES, "images", ref.file));
    const resized = await resizeSquare(image, 224, kernel);
    expect(createHash("sha256").update(resized.rgb).digest("hex")).toBe(ref.resizedSha256);

    const { extractor, manifest } = await openExtractorForSpec(spec(model, name), sources(true));
    expect(manifest?.testOnly).toBe(true);
    const [out] = await extractor.extract([image]);
    await extractor.close();
    const { scale, relative } = relativeError(out!, reference, ref);
    expect(scale).toBeGreaterThan(0.1);
    expect(relative).toBeLessThan(1e-4);
  });

  it("pools the map to a coarser grid (36 = 6x6) as AdaptiveAvgPool2d does", async () => {
    const ref = reference.images.find((i) => i.file === "meme-portrait.png")!;
    const { image } = await decodeImageFile(join(FIXTURES, "images", ref.file));
    const { extractor } = await openExtractorForSpec(featuresSpec.parse({ extractor: name, regions: 36, model }), sources(true));
    const [out] = await extractor.extract([image]);
    await extractor.close();
    const expected = pooledReference(reference, ref, 6);
    const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const worst = expected.reduce((m, v, k) => Math.max(m, Math.abs(v - out!.features[k]!)), 0);
    expect([out!.regions, out!.features.length]).toEqual([36, expected.length]);
    expect(worst / scale).toBeLessThan(1e-4);
  });
});

describe("model manifests", () => {
  it("refuses a test-only export unless a test asks for it", async () => {
    await expect(openExtractorForSpec(spec(MODEL), sources(false))).rejects.toThrow(/seeded random weights made for tests.*memeops models export efficientnet/);
  });

  it("refuses a file that is not the one its manifest describes", async () => {
    const copy = join(tmp, "efficientnet_lite0.onnx");
    copyFileSync(MODEL, copy);
    const manifest = JSON.parse(readFileSync(`${MODEL}.manifest.json`, "utf8")) as Record<string, unknown>;
    writeFileSync(`${copy}.manifest.json`, JSON.stringify({ ...manifest, sha256: "0".repeat(64) }));
    await expect(openExtractorForSpec(spec(copy), sources(true))).rejects.toThrow(/is not the file its manifest .* describes/);
  });

  it("refuses a file exported as another model", async () => {
    await expect(openExtractorForSpec(spec(MODEL, "resnet"), sources(true))).rejects.toThrow(/exported as efficientnet \(.*\), not as resnet/);
  });

  it("names the field of a malformed manifest", async () => {
    const copy = join(tmp, "bad.onnx");
    copyFileSync(MODEL, copy);
    writeFileSync(`${copy}.manifest.json`, JSON.stringify({ format: "memeops-model-manifest/v1", model: "efficientnet" }));
    await expect(openExtractorForSpec(spec(copy), sources(true))).rejects.toThrow(/manifest .*bad\.onnx\.manifest\.json: file must be/);
  });
});
