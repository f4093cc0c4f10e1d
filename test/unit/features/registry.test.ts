import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXTRACTORS, featuresSpec } from "../../../api/v1alpha1/spec.ts";
import { openExtractorForSpec } from "../../../trainer-image/src/features/open-for-spec.ts";
import { createExtractor, listExtractors } from "../../../trainer-image/src/features/registry.ts";
import { fixtureFiles } from "../../fixtures/onnx/generate.ts";
import { fixture } from "./helpers.ts";

describe("extractor registry", () => {
  it("has exactly the extractors the spec accepts", () => {
    expect(listExtractors().map((e) => e.name).sort()).toEqual([...EXTRACTORS].sort());
    expect(listExtractors().find((e) => e.name === "pixels")).not.toHaveProperty("defaultModelFile");
  });

  it("names the known extractors when asked for an unknown one", async () => {
    await expect(createExtractor("vgg", { regions: 36 })).rejects.toThrow(/unknown extractor "vgg"; known: pixels, resnet/);
  });
});

describe("openExtractorForSpec", () => {
  const models = mkdtempSync(join(tmpdir(), "memeops-modeldir-"));
  copyFileSync(fixture("resnet-like.onnx"), join(models, "resnet152.onnx"));
  const sources = { modelDir: models, cacheDir: join(models, "cache") };

  it("finds the extractor's default file in the model directory", async () => {
    const { extractor, model } = await openExtractorForSpec(featuresSpec.parse({ extractor: "resnet" }), sources);
    expect(model?.path).toBe(join(models, "resnet152.onnx"));
    expect(extractor.fingerprint).toContain(`model=${model?.sha256}|regions=36`);
    await extractor.close();
  });

  it("uses the spec's model URI and detector settings", async () => {
    const spec = featuresSpec.parse({
      extractor: "fasterrcnn_vg",
      regions: 10,
      model: `file://${fixture("detector-like.onnx")}`,
      detector: { scoreThreshold: 0.5, nmsThreshold: 0.4 },
    });
    const { extractor } = await openExtractorForSpec(spec, sources);
    expect(extractor.fingerprint).toMatch(/^fasterrcnn_vg\|.*\|regions=10\|input=128\|score=0.5\|nms=0.4\|v2$/);
    await extractor.close();
  });

  it("needs no model for pixels, and says which file is missing for the others", async () => {
    const { extractor, model } = await openExtractorForSpec(featuresSpec.parse({ extractor: "pixels", regions: 16 }), sources);
    expect([extractor.name, extractor.dim, model]).toEqual(["pixels", 12, undefined]);
    const missing = openExtractorForSpec(featuresSpec.parse({ extractor: "clip", regions: 49 }), sources);
    await expect(missing).rejects.toThrow(`model file not found: ${join(models, "clip_vit_b32_vision.onnx")} (the default file of extractor clip`);
    await expect(missing).rejects.toThrow(/memeops models export clip --out DIR.*spec\.features\.model$/);
    // a file the spec names is the user's own: no hint about the default directory
    const named = openExtractorForSpec(featuresSpec.parse({ extractor: "clip", regions: 49, model: join(models, "mine.onnx") }), sources);
    await expect(named).rejects.toThrow(new RegExp(`^model file not found: ${join(models, "mine.onnx")}$`));
  });
});

describe("test fixtures", () => {
  it("are what the generator writes (regenerate: npx tsx test/fixtures/onnx/generate.ts)", () => {
    for (const [name, contents] of Object.entries(fixtureFiles())) {
      expect(readFileSync(fixture(name)).equals(Buffer.from(contents)), name).toBe(true);
    }
  });
});
