// A full-size BLIP export against transformers' greedy generate, and its speed with and without the KV cache:
//   npx tsx bench/blip-captioning.ts [DIR]
//   (default: ~/.cache/memeops/models/blip-random/blip_captioning_base, from
//    `python -m memeops_exporter export blip --test-random-weights 1 --out ~/.cache/memeops/models/blip-random
//     --reference-images ../test/fixtures/exported/images`, run in export/)
// Prints the files' sizes and export times (their manifests), then per test image whether memeops' caption token
// ids are transformers' (reference.json), then captions/s: through the captioner (memeops: resizing, vision, cross
// K/V once, one token per step through the cache), through bare onnxruntime sessions fed pre-made pixels with the
// cache, and without it (each step the whole prefix, no past, and the image's cross-attention keys and values
// computed again, as a decoder exported without a cache does), with the ratios; the three take turns in each round.
// A test-only export (seeded random weights, where the hub is unreachable) is accepted here: it has the real
// files' architecture and cost, which is what this measures.
import { readFileSync, statSync } from "node:fs";
import { availableParallelism, homedir, loadavg } from "node:os";
import { join } from "node:path";
import { BLIP_IMAGE_SIZE, BLIP_RESIZE, openBlipCaptioner } from "../trainer-image/src/captions/blip-captioner.ts";
import { BLIP_FILES } from "../trainer-image/src/captions/open-for-spec.ts";
import { decodeImageFile } from "../trainer-image/src/data/decode.ts";
import { resizeSquare } from "../trainer-image/src/features/image/resize.ts";
import { CLIP, imageBatch } from "../trainer-image/src/features/image/to-tensor.ts";
import { intraOpThreads, ort, sessionOptions } from "../trainer-image/src/features/onnx/onnx-model.ts";
import { readBlipReference, TEST_IMAGES_DIR } from "../test/fixtures/exported/blip-reference.ts";

const dir = process.argv[2] ?? join(homedir(), ".cache/memeops/models/blip-random/blip_captioning_base");
const BATCH = Number(process.env.BENCH_BATCH ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const [BOS, SEP] = [30522, 102];

console.log(JSON.stringify({ cores: availableParallelism(), intraOpThreads: intraOpThreads(), loadavg: loadavg().map((l) => +l.toFixed(1)), dir }));
const names = [BLIP_FILES.vision, BLIP_FILES.crossKv, BLIP_FILES.decoder, "vocab.txt"];
for (const name of names) {
  const manifest = JSON.parse(readFileSync(join(dir, `${name}.manifest.json`), "utf8")) as { testOnly: boolean; exportSeconds: number };
  console.log(JSON.stringify({ file: name, megabytes: +(statSync(join(dir, name)).size / 1e6).toFixed(1), exportSeconds: manifest.exportSeconds, testOnly: manifest.testOnly }));
}

const reference = readBlipReference(dir);
const maxTokens = reference.generate.max_new_tokens;
const captioner = await openBlipCaptioner(
  { visionModelPath: join(dir, names[0]!), crossKvModelPath: join(dir, names[1]!), decoderModelPath: join(dir, names[2]!), vocabPath: join(dir, names[3]!) },
  { maxTokens },
);
const images = await Promise.all(reference.images.map(async (r) => (await decodeImageFile(join(TEST_IMAGES_DIR, r.file))).image));
const got = await captioner.captionTokens(images);
for (const [k, ref] of reference.images.entries()) {
  const same = JSON.stringify(got[k]) === JSON.stringify(ref.tokens);
  console.log(JSON.stringify({ image: ref.file, identical: same, tokens: ref.tokens.length, endedWithSep: ref.endedWithSep, minMargin: +ref.minMargin.toFixed(4), torchvisionBackendSameTokens: JSON.stringify(ref.torchvisionBackend.tokens) === JSON.stringify(ref.tokens) }));
}
console.log(JSON.stringify({ allIdentical: reference.images.every((r, k) => JSON.stringify(got[k]) === JSON.stringify(r.tokens)), images: images.length }));

// Speed on BATCH meme-sized images (the 2000 px one left out: prepare shrinks it first), ROUNDS times.
const batchImages = Array.from({ length: BATCH }, (_, i) => images.filter((d) => Math.max(d.width, d.height) < 1000)[i % 6]!);
await captioner.captionTokens(batchImages.slice(0, 1)); // warm-up

const session = (name: string) => ort.InferenceSession.create(join(dir, name), sessionOptions());
const [vision, cross, decoder] = await Promise.all([session(names[0]!), session(names[1]!), session(names[2]!)]);
const layers = decoder.inputNames.filter((n) => n.endsWith(".decoder.key")).length;
const pastShape = decoder.inputMetadata.find((m) => m.name === "past_key_values.0.decoder.key");
const [, heads, , headSize] = (pastShape?.isTensor ? pastShape.shape : []) as number[];
const { data: pixelData } = await imageBatch(batchImages, BLIP_IMAGE_SIZE, resizeSquare, BLIP_RESIZE, CLIP);
const pixels = new ort.Tensor("float32", pixelData, [BATCH, 3, BLIP_IMAGE_SIZE, BLIP_IMAGE_SIZE]);

/** Greedy captions on bare sessions; without the cache every step recomputes everything from the image embeddings. */
async function rawCaptions(cached: boolean): Promise<number[][]> {
  const { image_embeds: embeds } = await vision.run({ pixel_values: pixels });
  const crossFeeds = async () => {
    const out = await cross.run({ encoder_hidden_states: embeds! });
    return Object.fromEntries(Object.entries(out).map(([name, tensor]) => [name.replace("present.", "past_key_values."), tensor]));
  };
  let crossKv = await crossFeeds();
  const empty = new ort.Tensor("float32", new Float32Array(0), [BATCH, heads!, 0, headSize!]);
  const pastNames = Array.from({ length: layers }, (_, i) => [`past_key_values.${i}.decoder.key`, `past_key_values.${i}.decoder.value`]).flat();
  let past: Record<string, ort.Tensor> = Object.fromEntries(pastNames.map((n) => [n, empty]));
  const sequences = Array.from({ length: BATCH }, () => [BOS]);
  const done = new Array<boolean>(BATCH).fill(false);
  for (let t = 0; t < maxTokens && done.includes(false); t++) {
    if (!cached && t > 0) crossKv = await crossFeeds();
    const length = cached ? 1 : t + 1;
    const ids = BigInt64Array.from(sequences.flatMap((s) => s.slice(-length)), BigInt);
    const out = await decoder.run({ input_ids: new ort.Tensor("int64", ids, [BATCH, length]), ...past, ...crossKv });
    if (cached) past = Object.fromEntries(pastNames.map((n) => [n, out[n.replace("past_key_values.", "present.")]!]));
    const logits = out.logits!.data as Float32Array;
    const vocab = out.logits!.dims[2]!;
    for (let n = 0; n < BATCH; n++) {
      const row = logits.subarray((n * length + length - 1) * vocab, (n * length + length) * vocab);
      const next = done[n] ? 0 : row.indexOf(Math.max(...row));
      done[n] ||= next === SEP;
      sequences[n]!.push(next);
    }
  }
  return sequences.map((s) => (s.includes(SEP) ? s.slice(1, s.indexOf(SEP)) : s.slice(1)));
}

await rawCaptions(true); // warm-up
// The three take turns within each round, so that a change in the machine's load falls on all of them.
const seconds = async (run: () => Promise<number[][]>) => {
  const start = performance.now();
  return { tokens: await run(), seconds: (performance.now() - start) / 1000 };
};
let [memeops, raw, uncached] = [0, 0, 0];
let memeopsTokens: number[][] = [];
let rawTokens: number[][] = [];
let uncachedTokens: number[][] = [];
for (let r = 0; r < ROUNDS; r++) {
  const m = await seconds(() => captioner.captionTokens(batchImages));
  const c = await seconds(() => rawCaptions(true));
  const u = await seconds(() => rawCaptions(false));
  [memeops, raw, uncached] = [memeops + m.seconds, raw + c.seconds, uncached + u.seconds];
  [memeopsTokens, rawTokens, uncachedTokens] = [m.tokens, c.tokens, u.tokens];
}
await captioner.close();
const perSecond = (s: number) => +((ROUNDS * BATCH) / s).toFixed(3);
console.log(
  JSON.stringify({
    batch: BATCH,
    rounds: ROUNDS,
    tokensPerCaption: memeopsTokens.map((t) => t.length),
    memeopsCaptionsPerSecond: perSecond(memeops),
    rawCachedCaptionsPerSecond: perSecond(raw),
    rawUncachedCaptionsPerSecond: perSecond(uncached),
    cacheSpeedup: +(uncached / raw).toFixed(2),
    memeopsOverRaw: +(raw / memeops).toFixed(3),
    sameTokens: { rawCached: JSON.stringify(rawTokens) === JSON.stringify(memeopsTokens), rawUncached: JSON.stringify(uncachedTokens) === JSON.stringify(memeopsTokens) },
  }),
);
await Promise.all([vision.release(), cross.release(), decoder.release()]);
