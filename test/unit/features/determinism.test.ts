import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createExtractor } from "../../../trainer-image/src/features/registry.ts";
import { runChild } from "./child/run.ts";
import { bytesOf, fixture, testImages } from "./helpers.ts";

const CASES = [
  { name: "pixels", regions: 36 },
  { name: "resnet", regions: 36, model: fixture("resnet-like.onnx") },
  { name: "clip", regions: 49, model: fixture("clip-like.onnx") },
  // the exported detector (torchvision's Faster R-CNN at reduced size): real NMS and top-k inside the graph
  { name: "fasterrcnn", regions: 36, model: join(import.meta.dirname, "../../fixtures/exported/fasterrcnn-reduced/fasterrcnn_coco.onnx") },
];

async function extractBytes(name: string, regions: number, model?: string): Promise<Buffer> {
  const extractor = await createExtractor(name, { regions, ...(model ? { modelPath: model } : {}) });
  const out = await extractor.extract(testImages(3));
  await extractor.close();
  return Buffer.concat(out.map(bytesOf));
}

describe("the same image always gives the same features", () => {
  it("in two runs of one process and in another process, byte for byte", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "memeops-det-"));
    const child = runChild("extract-bytes.ts", [JSON.stringify(CASES), tmp]);
    for (const { name, regions, model } of CASES) {
      const first = await extractBytes(name, regions, model);
      const second = await extractBytes(name, regions, model);
      expect(first.equals(second), name).toBe(true);
      expect(first.length).toBeGreaterThan(0);
    }
    const { code, output } = await child;
    expect(code, output).toBe(0);
    for (const { name, regions, model } of CASES) {
      expect(readFileSync(join(tmp, `${name}.bin`)).equals(await extractBytes(name, regions, model)), name).toBe(true);
    }
  });

  it("independently of how images are batched", async () => {
    const images = testImages(3);
    const extractor = await createExtractor("resnet", { regions: 36, modelPath: fixture("resnet-like.onnx") });
    const together = await extractor.extract(images);
    const alone = (await Promise.all(images.map((image) => extractor.extract([image])))).flat();
    together.forEach((f, i) => expect(bytesOf(f).equals(bytesOf(alone[i]!))).toBe(true));
  });
});
