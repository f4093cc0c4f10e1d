import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DecodedImage } from "../../../trainer-image/src/features/extractor.ts";
import { createExtractor } from "../../../trainer-image/src/features/registry.ts";
import { resnetLike, tokenWeight } from "../../fixtures/onnx/graphs.ts";
import { fixture, makeImage, testImages } from "./helpers.ts";

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const CLIP = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] };

// 224x224: the extractor's resize is the identity, so the expected values follow from the pixels alone.
const image = makeImage(224, 224, (x, y) => [x, y, (3 * x + y) % 256]);

/** Means of each channel over 32x32 blocks of the normalised image: [c][7*by + bx]. */
function blockMeans(img: DecodedImage, norm: typeof IMAGENET): number[][] {
  return [0, 1, 2].map((c) =>
    Array.from({ length: 49 }, (_, b) => {
      let sum = 0;
      for (let y = 32 * Math.floor(b / 7); y < 32 * Math.floor(b / 7) + 32; y++) {
        for (let x = 32 * (b % 7); x < 32 * (b % 7) + 32; x++) sum += img.rgb[(y * 224 + x) * 3 + c]!;
      }
      return (sum / 1024 / 255 - norm.mean[c]!) / norm.std[c]!;
    }),
  );
}

/** PyTorch's AdaptiveAvgPool2d from a 7x7 grid of value(cell, d) to side x side, written out by hand. */
function poolByHand(value: (cell: number, d: number) => number, side: number, dim: number): number[] {
  const windowOf = (i: number) => [Math.floor((i * 7) / side), Math.ceil(((i + 1) * 7) / side)] as const;
  const expected: number[] = [];
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      const [y0, y1] = windowOf(i);
      const [x0, x1] = windowOf(j);
      for (let d = 0; d < dim; d++) {
        let sum = 0;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += value(y * 7 + x, d);
        expected.push(sum / ((y1 - y0) * (x1 - x0)));
      }
    }
  }
  return expected;
}

function expectClose(actual: Float32Array, expected: number[]) {
  expect(actual.length).toBe(expected.length);
  const worst = expected.reduce((m, e, i) => Math.max(m, Math.abs(actual[i]! - e)), 0);
  expect(worst).toBeLessThan(1e-4);
}

const tmp = mkdtempSync(join(tmpdir(), "memeops-grid-"));
const writeModel = (name: string, bytes: Uint8Array) => {
  writeFileSync(join(tmp, name), bytes);
  return join(tmp, name);
};

describe("resnet extractor", () => {
  // The map itself and its 6x6 pooling against PyTorch: exported-grid-models.test.ts (an exported ResNet).

  it("accepts the Hugging Face names and a graph with a fixed batch size", async () => {
    const images = testImages(3);
    const reference = await (await createExtractor("resnet", { regions: 9, modelPath: fixture("resnet-like.onnx") })).extract(images);
    for (const graph of [resnetLike("pixel_values", "last_hidden_state"), resnetLike("input", "layer4", 2)]) {
      const modelPath = writeModel(`variant-${reference.length}-${graph.length}.onnx`, graph);
      const out = await (await createExtractor("resnet", { regions: 9, modelPath })).extract(images);
      out.forEach((f, i) => expect(Array.from(f.features)).toEqual(Array.from(reference[i]!.features)));
    }
  });

  it("names the file and the expected inputs when the graph does not match", async () => {
    const modelPath = fixture("detector-like.onnx");
    await expect(createExtractor("resnet", { regions: 36, modelPath })).rejects.toThrow(
      `ONNX model ${modelPath} has no input for pixels: expected one of [input, pixel_values], the graph's inputs are [images]`,
    );
  });

  it("fails clearly on a missing model file and on a grid finer than the map", async () => {
    await expect(createExtractor("resnet", { regions: 36, modelPath: join(tmp, "absent.onnx") })).rejects.toThrow(`model file not found: ${join(tmp, "absent.onnx")}`);
    await expect(createExtractor("resnet", { regions: 36 })).rejects.toThrow(/no model file/);
    const garbage = writeModel("garbage.onnx", new TextEncoder().encode("<html>a login page, not a model</html>"));
    await expect(createExtractor("resnet", { regions: 36, modelPath: garbage })).rejects.toThrow(`cannot load ONNX model ${garbage}`);
    const extractor = await createExtractor("resnet", { regions: 64, modelPath: fixture("resnet-like.onnx") });
    await expect(extractor.extract([image])).rejects.toThrow(/8x8 grid, finer than .* 7x7 map/);
  });
});

describe("clip extractor", () => {
  const patchTokens = (img: DecodedImage) => {
    const p = blockMeans(img, CLIP);
    return (patch: number, j: number) => [0, 1, 2].reduce((s, c) => s + tokenWeight(c, j) * p[c]![patch]!, 0);
  };

  // The 49 patch tokens (CLS dropped) against PyTorch: exported-grid-models.test.ts (an exported CLIP ViT).

  it("pools the 7x7 tokens to a coarser grid, and refuses a finer one", async () => {
    const [out] = await (await createExtractor("clip", { regions: 4, modelPath: fixture("clip-like.onnx") })).extract([image]);
    expectClose(out!.features, poolByHand(patchTokens(image), 2, 768));
    const fine = await createExtractor("clip", { regions: 64, modelPath: fixture("clip-like.onnx") });
    await expect(fine.extract([image])).rejects.toThrow(/finer than/);
  });
});
