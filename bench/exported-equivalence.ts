// A full-size grid-model export against PyTorch, and its speed in memeops against a raw onnxruntime session:
//   npx tsx bench/exported-equivalence.ts [EXTRACTOR] [MODEL_FILE]
//   (default: efficientnet ~/.cache/memeops/models/efficientnet-lite0/efficientnet_lite0.onnx)
// MODEL_FILE comes with the manifest and the reference outputs the exporter wrote with
// --reference-images test/fixtures/exported/images. Prints, per image, the relative error of the grid features
// against the PyTorch module's own map; then images/s through the prepare stage's extraction path and through a
// bare session fed pre-made tensors (same settings, same batch), their ratio, and each path's CPU time per image.
// A test-only export (seeded random weights, e.g. a full-size ResNet-152 where its weights are unreachable) is
// accepted here: it has the real file's architecture and cost, which is what this measures.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, homedir, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { featuresSpec } from "../api/v1alpha1/spec.ts";
import { decodeImageFile } from "../trainer-image/src/data/decode.ts";
import type { ImageSource } from "../trainer-image/src/features/batch-pipeline.ts";
import { FeatureCache } from "../trainer-image/src/features/cache/feature-cache.ts";
import type { DecodedImage } from "../trainer-image/src/features/extractor.ts";
import { extractToCache } from "../trainer-image/src/features/extract-with-cache.ts";
import { resizeThreads } from "../trainer-image/src/features/image/resize-workers.ts";
import { intraOpThreads, ort, sessionOptions } from "../trainer-image/src/features/onnx/onnx-model.ts";
import { openExtractorForSpec } from "../trainer-image/src/features/open-for-spec.ts";
import { readReference, relativeError } from "../test/fixtures/exported/reference.ts";

const name = process.argv[2] ?? "efficientnet";
const model = process.argv[3] ?? join(homedir(), ".cache/memeops/models/efficientnet-lite0/efficientnet_lite0.onnx");
const dir = dirname(model);
const images = join(import.meta.dirname, "../test/fixtures/exported/images");
const BATCH = Number(process.env.BENCH_BATCH ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);

console.log(JSON.stringify({ cores: availableParallelism(), intraOpThreads: intraOpThreads(), resizeThreads: resizeThreads(), loadavg: loadavg().map((l) => +l.toFixed(1)), model }));
const reference = readReference(model);
const { extractor, manifest } = await openExtractorForSpec(featuresSpec.parse({ extractor: name, regions: 49, model }), {
  modelDir: dir,
  cacheDir: join(dir, ".cache"),
  allowTestOnly: true,
});
console.log(JSON.stringify({ extractor: name, manifest: { testOnly: manifest?.testOnly, source: manifest?.source?.uri, sha256: manifest?.sha256 } }));

const decoded: DecodedImage[] = [];
let worst = 0;
for (const ref of reference.images) {
  const { image } = await decodeImageFile(join(images, ref.file));
  decoded.push(image);
  const [out] = await extractor.extract([image]);
  const error = relativeError(out!, reference, ref);
  worst = Math.max(worst, error.relative);
  console.log(JSON.stringify({ image: ref.file, size: `${ref.width}x${ref.height}`, mode: ref.mode, maxAbsDiff: error.worst, mapMax: error.scale, relative: error.relative }));
}
console.log(JSON.stringify({ worstRelative: worst, images: reference.images.length, within1e4: worst < 1e-4 }));

// Speed: the prepare stage's path (extractToCache: cache lookups, batches of BENCH_BATCH, decoded images resized on
// worker threads and normalised, inference, cache writes) over BENCH_BATCH * ROUNDS distinct meme-sized images
// (copies of the test images under distinct hashes; the 2000 px one is left out: prepare shrinks it to 1333 px first).
const memeSized = decoded.filter((d) => Math.max(d.width, d.height) < 1000);
const sources: ImageSource[] = Array.from({ length: BATCH * ROUNDS }, (_, i) => {
  const image = { ...memeSized[i % memeSized.length]!, sha256: createHash("sha256").update(`bench ${i}`).digest("hex") };
  return { sha256: image.sha256, load: async () => image };
});
const tmp = mkdtempSync(join(tmpdir(), "memeops-bench-"));
await extractor.extract(memeSized.slice(0, 1)); // warm-up
// CPU time of the whole process (worker threads included) per image, beside the wall rates: when both paths keep every
// core busy, raw CPU / memeops CPU is the most the ratio can be, whatever overlaps what.
const cpuMsSince = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};
let cpu = process.cpuUsage();
let start = performance.now();
await extractToCache(extractor, new FeatureCache(join(tmp, "cache")), sources, { batchSize: BATCH });
const memeops = sources.length / ((performance.now() - start) / 1000);
const memeopsCpuMs = cpuMsSince(cpu) / sources.length;
rmSync(tmp, { recursive: true, force: true });

const session = await ort.InferenceSession.create(model, sessionOptions());
const inputName = session.inputNames[0]!;
const input = new ort.Tensor("float32", Float32Array.from({ length: BATCH * 3 * 224 * 224 }, (_, i) => ((i * 7919) % 1000) / 500 - 1), [BATCH, 3, 224, 224]);
await session.run({ [inputName]: input });
cpu = process.cpuUsage();
start = performance.now();
for (let r = 0; r < ROUNDS; r++) await session.run({ [inputName]: input });
const raw = (ROUNDS * BATCH) / ((performance.now() - start) / 1000);
const rawCpuMs = cpuMsSince(cpu) / (ROUNDS * BATCH);
console.log(
  JSON.stringify({
    batch: BATCH,
    rounds: ROUNDS,
    memeopsImagesPerSecond: +memeops.toFixed(1),
    rawSessionImagesPerSecond: +raw.toFixed(1),
    ratio: +(memeops / raw).toFixed(3),
    memeopsCpuMsPerImage: +memeopsCpuMs.toFixed(1),
    rawCpuMsPerImage: +rawCpuMs.toFixed(1),
    cpuBoundCeiling: +(rawCpuMs / memeopsCpuMs).toFixed(3),
    loadavg: loadavg().map((l) => +l.toFixed(1)),
  }),
);
await session.release();
await extractor.close();
