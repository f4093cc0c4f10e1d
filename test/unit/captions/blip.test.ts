import { mkdtempSync, readFileSync, appendFileSync, cpSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { datasetSpec } from "../../../api/v1alpha1/spec.ts";
import { openBlipCaptioner, type Captioner } from "../../../trainer-image/src/captions/blip-captioner.ts";
import { CaptionCache } from "../../../trainer-image/src/captions/caption-cache.ts";
import { captionWithCache } from "../../../trainer-image/src/captions/caption-with-cache.ts";
import { openCaptionerForSpec } from "../../../trainer-image/src/captions/open-for-spec.ts";
import { EXPECTED } from "../../fixtures/onnx/blip-fixture.ts";
import { fixture, makeImage, sourceOf } from "../features/helpers.ts";

const files = {
  visionModelPath: fixture("blip-like/vision_model.onnx"),
  decoderModelPath: fixture("blip-like/text_decoder.onnx"),
  vocabPath: fixture("blip-like/vocab.txt"),
};
const bright = makeImage(120, 90, (x) => [230, 220, 200 + (x % 20)]);
const dark = makeImage(64, 80, (x, y) => [10, (x + y) % 30, 20]);
const captionsSpec = (captions: object) => datasetSpec.parse({ source: { synthetic: {} }, captions }).captions;

describe("BLIP captioner", () => {
  it("captions a batch, each image with its own caption", async () => {
    const captioner = await openBlipCaptioner(files, { maxTokens: 30 });
    expect(await captioner.caption([bright, dark, bright])).toEqual([EXPECTED.bright, EXPECTED.dark, EXPECTED.bright]);
    await captioner.close();
  });

  it("stops at maxTokens, which is part of the fingerprint", async () => {
    const short = await openBlipCaptioner(files, { maxTokens: 3 });
    const long = await openBlipCaptioner(files, { maxTokens: 30 });
    expect(await short.caption([bright])).toEqual(["a man holding"]);
    expect(short.fingerprint).not.toBe(long.fingerprint);
  });

  it("names the file and the expected inputs when the decoder does not match", async () => {
    await expect(openBlipCaptioner({ ...files, decoderModelPath: files.visionModelPath }, { maxTokens: 5 })).rejects.toThrow(
      `ONNX model ${files.visionModelPath} has no input for ids: expected one of [input_ids]`,
    );
  });
});

describe("captionWithCache", () => {
  /** Counts the images the captioner really sees. */
  const counting = (inner: Captioner) => {
    const seen: string[] = [];
    const captioner: Captioner = { ...inner, caption: (images) => (seen.push(...images.map((i) => i.sha256)), inner.caption(images)) };
    return { captioner, seen };
  };

  it("captions misses once and serves hits from the ndjson file, across instances", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "memeops-cap-")), "captions", "blip.ndjson");
    const { captioner, seen } = counting(await openBlipCaptioner(files, { maxTokens: 30 }));
    const images = [bright, dark, bright].map(sourceOf);
    const first = await captionWithCache(captioner, await CaptionCache.open(path), images, 2);
    expect(first).toEqual({ hits: 0, misses: 2, captions: [EXPECTED.bright, EXPECTED.dark, EXPECTED.bright] });
    appendFileSync(path, '{"key":"torn line from a crash'); // a reader must survive it
    const reopened = await CaptionCache.open(path);
    expect(reopened.size).toBe(2);
    const second = await captionWithCache(captioner, reopened, images, 2);
    expect(second).toEqual({ ...first, hits: 2, misses: 0 });
    expect(seen).toHaveLength(2);
    expect(readFileSync(path, "utf8").split("\n").filter((l) => l.startsWith('{"key"') && l.endsWith("}"))).toHaveLength(2);
  });
});

describe("openCaptionerForSpec", () => {
  const sources = { cacheDir: mkdtempSync(join(tmpdir(), "memeops-capcache-")) };

  it("is off unless the experiment enables captions", async () => {
    expect(await openCaptionerForSpec(captionsSpec({}), sources)).toBeUndefined();
  });

  it("opens the model directory's encoder, decoder and vocabulary", async () => {
    const opened = await openCaptionerForSpec(captionsSpec({ enabled: true, model: fixture("blip-like"), maxTokens: 4 }), sources);
    expect(opened!.files.map((f) => f.path)).toEqual([files.visionModelPath, files.decoderModelPath, files.vocabPath]);
    expect(await opened!.captioner.caption([dark])).toEqual(["a dog on the"]);
    await opened!.captioner.close();
  });

  it("says which file the directory lacks", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memeops-blip-"));
    cpSync(fixture("blip-like/vision_model.onnx"), join(dir, "vision_model.onnx"));
    await expect(openCaptionerForSpec(captionsSpec({ enabled: true, model: dir }), sources)).rejects.toThrow(
      `model file not found: text_decoder.onnx in ${dir}`,
    );
    cpSync(fixture("blip-like/text_decoder.onnx"), join(dir, "text_decoder.onnx"));
    writeFileSync(join(dir, "readme"), "");
    await expect(openCaptionerForSpec(captionsSpec({ enabled: true, model: dir }), sources)).rejects.toThrow(/neither vocab.txt nor tokenizer.json/);
  });
});
