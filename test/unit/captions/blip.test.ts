// The BLIP captioner against transformers itself: BlipForConditionalGeneration exported by export/ at reduced width
// and depth with seeded random weights (test/fixtures/exported/blip-reduced), and transformers' own greedy generate
// on the committed test images through BlipImageProcessorPil (reference.json). Regenerate: test/fixtures/exported/README.md.
import { createHash } from "node:crypto";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { datasetSpec } from "../../../api/v1alpha1/spec.ts";
import { BLIP_IMAGE_SIZE, BLIP_RESIZE, openBlipCaptioner, type Captioner } from "../../../trainer-image/src/captions/blip-captioner.ts";
import { CaptionCache } from "../../../trainer-image/src/captions/caption-cache.ts";
import { captionWithCache } from "../../../trainer-image/src/captions/caption-with-cache.ts";
import { BLIP_FILES, openCaptionerForSpec } from "../../../trainer-image/src/captions/open-for-spec.ts";
import { loadWordPieceDecoder } from "../../../trainer-image/src/captions/wordpiece-decoder.ts";
import { decodeImageFile } from "../../../trainer-image/src/data/decode.ts";
import type { DecodedImage } from "../../../trainer-image/src/features/extractor.ts";
import { resizeSquare } from "../../../trainer-image/src/features/image/resize.ts";
import { CLIP, imageBatch } from "../../../trainer-image/src/features/image/to-tensor.ts";
import { BLIP_REDUCED_DIR as DIR, readBlipReference, TEST_IMAGES_DIR } from "../../fixtures/exported/blip-reference.ts";
import { blipUncachedDecoderLike } from "../../fixtures/onnx/graphs.ts";
import { sourceOf } from "../features/helpers.ts";

const reference = readBlipReference(DIR);
const files = {
  visionModelPath: join(DIR, BLIP_FILES.vision),
  crossKvModelPath: join(DIR, BLIP_FILES.crossKv),
  decoderModelPath: join(DIR, BLIP_FILES.decoder),
  vocabPath: join(DIR, "vocab.txt"),
};
const MAX = reference.generate.max_new_tokens;
const tmp = mkdtempSync(join(tmpdir(), "memeops-blip-"));
const captionsSpec = (captions: object) => datasetSpec.parse({ source: { synthetic: {} }, captions }).captions;
const sources = (allowTestOnly: boolean) => ({ cacheDir: join(tmp, "cache"), allowTestOnly });

// At collection, not in a hook: no hook timeout to meet on a loaded machine.
const images: DecodedImage[] = await Promise.all(reference.images.map(async (r) => (await decodeImageFile(join(TEST_IMAGES_DIR, r.file))).image));
const vocab = await loadWordPieceDecoder(files.vocabPath);
const expectedCaptions = reference.images.map((r) => vocab.decode(r.tokens));

describe("BLIP captioner = transformers' greedy generate (exported, reduced, seeded weights)", () => {
  it("has a reference that could catch a wrong caption", () => {
    expect(reference.generate).toEqual({ num_beams: 1, do_sample: false, max_new_tokens: 30 });
    expect(reference.processor).toBe("BlipImageProcessorPil");
    expect([...new Set(reference.images.map((r) => r.mode))].sort()).toEqual(["L", "RGB", "RGBA"]);
    // captions that differ from image to image (the image reaches the decoder), of different lengths
    expect(new Set(reference.images.map((r) => r.tokens.join(","))).size).toBe(reference.images.length);
    expect(reference.images.some((r) => r.endedWithSep) && reference.images.some((r) => !r.endedWithSep && r.tokens.length === MAX)).toBe(true);
    // float rounding (1e-6 of logits of size ~1) cannot swap the arg-max and its runner-up
    expect(Math.min(...reference.images.map((r) => r.minMargin))).toBeGreaterThan(1e-3);
  });

  it.each(reference.images.map((r, k) => [r.file, r, k] as const))("%s: resized bytes of PIL, pixels of BlipImageProcessorPil", async (_, ref, k) => {
    const image = images[k]!;
    const resized = await resizeSquare(image, BLIP_IMAGE_SIZE, BLIP_RESIZE);
    expect(createHash("sha256").update(resized.rgb).digest("hex")).toBe(ref.resizedSha256);
    const { data } = await imageBatch([image], BLIP_IMAGE_SIZE, resizeSquare, BLIP_RESIZE, CLIP);
    const plane = BLIP_IMAGE_SIZE * BLIP_IMAGE_SIZE;
    let worst = 0;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < plane; p++) worst = Math.max(worst, Math.abs(data[c * plane + p]! - reference.pixelTable[c]![resized.rgb[p * 3 + c]!]!));
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it("gives every image transformers' token ids, captioned as one batch and one by one", async () => {
    const captioner = await openBlipCaptioner(files, { maxTokens: MAX });
    const expected = reference.images.map((r) => r.tokens);
    expect(await captioner.captionTokens(images)).toEqual(expected);
    for (const [k, image] of images.entries()) expect(await captioner.captionTokens([image])).toEqual([expected[k]]);
    expect(await captioner.caption(images)).toEqual(expectedCaptions);
    await captioner.close();
  });

  it("stops at maxTokens, which is part of the fingerprint", async () => {
    const short = await openBlipCaptioner(files, { maxTokens: 3 });
    const long = await openBlipCaptioner(files, { maxTokens: MAX });
    expect(await short.captionTokens(images.slice(0, 2))).toEqual(reference.images.slice(0, 2).map((r) => r.tokens.slice(0, 3)));
    expect(short.fingerprint).not.toBe(long.fingerprint);
    await Promise.all([short.close(), long.close()]);
  });

  it("names the file and the tensors it lacks when a graph is not the one expected", async () => {
    await expect(openBlipCaptioner({ ...files, decoderModelPath: files.crossKvModelPath }, { maxTokens: 5 })).rejects.toThrow(
      `ONNX model ${files.crossKvModelPath} has no input for ids: expected one of [input_ids]`,
    );
    await expect(openBlipCaptioner({ ...files, crossKvModelPath: files.visionModelPath }, { maxTokens: 5 })).rejects.toThrow(
      `ONNX model ${files.visionModelPath} has no input for encoder: expected one of [encoder_hidden_states]`,
    );
    // a decoder exported without a KV cache (the interface memeops read before its exporter existed)
    const uncached = join(tmp, "uncached_text_decoder.onnx");
    writeFileSync(uncached, blipUncachedDecoderLike());
    await expect(openBlipCaptioner({ ...files, decoderModelPath: uncached }, { maxTokens: 5 })).rejects.toThrow(
      `ONNX model ${uncached} has no input for pastKey.0: expected one of [past_key_values.0.decoder.key], the graph's inputs are [input_ids, attention_mask, encoder_hidden_states]`,
    );
  });
});

describe("captionWithCache", () => {
  /** Counts the images the captioner really sees. */
  const counting = (inner: Captioner) => {
    const seen: string[] = [];
    const captioner: Captioner = { ...inner, caption: (batch) => (seen.push(...batch.map((i) => i.sha256)), inner.caption(batch)) };
    return { captioner, seen };
  };

  it("captions misses once and serves hits from the ndjson file, across instances", async () => {
    const path = join(tmp, "captions", "blip.ndjson");
    const { captioner, seen } = counting(await openBlipCaptioner(files, { maxTokens: MAX }));
    const [a, b] = [images[0]!, images[1]!];
    const first = await captionWithCache(captioner, await CaptionCache.open(path), [a, b, a].map(sourceOf), 2);
    expect(first).toEqual({ hits: 0, misses: 2, captions: [expectedCaptions[0], expectedCaptions[1], expectedCaptions[0]] });
    appendFileSync(path, '{"key":"torn line from a crash'); // a reader must survive it
    const reopened = await CaptionCache.open(path);
    expect(reopened.size).toBe(2);
    const second = await captionWithCache(captioner, reopened, [a, b, a].map(sourceOf), 2);
    expect(second).toEqual({ ...first, hits: 2, misses: 0 });
    expect(seen).toHaveLength(2);
    expect(readFileSync(path, "utf8").split("\n").filter((l) => l.startsWith('{"key"') && l.endsWith("}"))).toHaveLength(2);
    await captioner.close();
  });
});

describe("openCaptionerForSpec", () => {
  const copyOfExport = (name: string) => {
    const dir = join(tmp, name);
    cpSync(DIR, dir, { recursive: true });
    return dir;
  };

  it("is off unless the experiment enables captions", async () => {
    expect(await openCaptionerForSpec(captionsSpec({}), sources(false))).toBeUndefined();
  });

  it("opens the exported directory, its manifests checked", async () => {
    const opened = await openCaptionerForSpec(captionsSpec({ enabled: true, model: DIR, maxTokens: 4 }), sources(true));
    expect(opened!.files.map((f) => f.path)).toEqual([files.visionModelPath, files.crossKvModelPath, files.decoderModelPath, files.vocabPath]);
    expect(opened!.manifests.map((m) => [m.model, m.file, m.testOnly])).toEqual(
      ["vision_model.onnx", "text_decoder_cross_kv.onnx", "text_decoder.onnx", "vocab.txt"].map((f) => ["blip", f, true]),
    );
    expect(await opened!.captioner.caption([images[0]!])).toEqual([expectedCaptions[0]!.split(" ").slice(0, 4).join(" ")]);
    await opened!.captioner.close();
  });

  it("refuses a test-only export outside tests", async () => {
    await expect(openCaptionerForSpec(captionsSpec({ enabled: true, model: DIR }), sources(false))).rejects.toThrow(
      /vision_model\.onnx has seeded random weights made for tests .*memeops models export blip/,
    );
  });

  it("refuses a file that is not the one its manifest (or SHA256SUMS) describes", async () => {
    const dir = copyOfExport("changed-vocab");
    appendFileSync(join(dir, "vocab.txt"), "extra\n");
    await expect(openCaptionerForSpec(captionsSpec({ enabled: true, model: dir }), sources(true))).rejects.toThrow(
      `sha256 mismatch for model ${join(dir, "vocab.txt")}`,
    );
    rmSync(join(dir, "SHA256SUMS"));
    await expect(openCaptionerForSpec(captionsSpec({ enabled: true, model: dir }), sources(true))).rejects.toThrow(
      /model file .*vocab\.txt is not the file its manifest .*vocab\.txt\.manifest\.json describes/,
    );
  });

  it("says which file the directory lacks", async () => {
    const dir = copyOfExport("no-decoder");
    rmSync(join(dir, BLIP_FILES.decoder));
    rmSync(join(dir, "SHA256SUMS"));
    await expect(openCaptionerForSpec(captionsSpec({ enabled: true, model: dir }), sources(true))).rejects.toThrow(
      `model file not found: text_decoder.onnx in ${dir}`,
    );
    cpSync(files.decoderModelPath, join(dir, BLIP_FILES.decoder));
    rmSync(join(dir, "vocab.txt"));
    await expect(openCaptionerForSpec(captionsSpec({ enabled: true, model: dir }), sources(true))).rejects.toThrow(/neither vocab.txt nor tokenizer.json/);
  });
});
