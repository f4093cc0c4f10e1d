// A full-size detector export against PyTorch, and its speed in memeops against a raw onnxruntime session:
//   npx tsx bench/exported-detectors.ts EXTRACTOR MODEL_FILE
//   e.g. fasterrcnn ~/.cache/memeops/models/fasterrcnn-random/fasterrcnn_coco.onnx
// MODEL_FILE comes with the manifest and the reference the exporter wrote with
// --reference-images test/fixtures/exported/images (export/README.md). Prints, per image: onnxruntime's detections
// against PyTorch's (share matched, worst corner and score), memeops' kept boxes against torchvision's selection, the
// extractor's region features against torchvision's roi_align means (relative), roi-align.ts on PyTorch's map; then
// images/s through the prepare stage's extraction path (extractToCache: letterbox on worker threads, inference,
// selection, RoIAlign, cache writes) and through a bare session fed the same images as pre-made tensors, one image
// per run as the file takes, and their ratio; and the file's size and export time from its manifest.
// A test-only export (seeded random weights: the real weights are unreachable here) is accepted: it has the real
// file's architecture and cost, which is what this measures.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { featuresSpec } from "../api/v1alpha1/spec.ts";
import { decodeImageFile } from "../trainer-image/src/data/decode.ts";
import type { ImageSource } from "../trainer-image/src/features/batch-pipeline.ts";
import { FeatureCache } from "../trainer-image/src/features/cache/feature-cache.ts";
import { detections } from "../trainer-image/src/features/detection/detector.ts";
import type { DecodedImage } from "../trainer-image/src/features/extractor.ts";
import { extractToCache } from "../trainer-image/src/features/extract-with-cache.ts";
import { resizeLetterbox } from "../trainer-image/src/features/image/resize.ts";
import { resizeThreads } from "../trainer-image/src/features/image/resize-workers.ts";
import { UNIT, writeChw } from "../trainer-image/src/features/image/to-tensor.ts";
import { intraOpThreads, ort, sessionOptions } from "../trainer-image/src/features/onnx/onnx-model.ts";
import { openExtractorForSpec } from "../trainer-image/src/features/open-for-spec.ts";
import type { CountedRegionFeatures } from "../trainer-image/src/features/region-count.ts";
import { compareDetections, readDetectionReference, regionDifference, roiAlignDifference } from "../test/fixtures/exported/reference.ts";

const [name, modelArg] = process.argv.slice(2);
if (!name || !modelArg) throw new Error("usage: npx tsx bench/exported-detectors.ts EXTRACTOR MODEL_FILE");
const model = resolve(modelArg);
const images = join(import.meta.dirname, "../test/fixtures/exported/images");
const COUNT = Number(process.env.BENCH_IMAGES ?? 8);

console.log(JSON.stringify({ cores: availableParallelism(), intraOpThreads: intraOpThreads(), resizeThreads: resizeThreads(), loadavg: loadavg().map((l) => +l.toFixed(1)), model }));
const reference = readDetectionReference(model);
const { size, selection } = reference;
const spec = featuresSpec.parse({ extractor: name, regions: selection.regions, model, detector: { scoreThreshold: selection.scoreThreshold, nmsThreshold: selection.nmsThreshold } });
const { extractor, manifest } = await openExtractorForSpec(spec, { modelDir: dirname(model), cacheDir: join(dirname(model), ".cache"), allowTestOnly: true });
const exported = manifest as unknown as { testOnly: boolean; sha256: string; bytes: number; exportSeconds: number } | undefined;
console.log(JSON.stringify({ extractor: name, size, selection, manifest: { testOnly: exported?.testOnly, sha256: exported?.sha256, bytes: statSync(model).size, exportSeconds: exported?.exportSeconds } }));

const session = await ort.InferenceSession.create(model, sessionOptions());
const decoded: DecodedImage[] = [];
const worst = { box: 0, score: 0, keptBox: 0, keptScore: 0, relative: 0, roiAlign: 0, minMatched: 1, keptDiffers: 0 };
for (const ref of reference.images) {
  const { image } = await decodeImageFile(join(images, ref.file));
  decoded.push(image);
  const letterboxed = await resizeLetterbox(image, size, "pil-bilinear");
  const input = new Float32Array(3 * size * size);
  writeChw(letterboxed.rgb, size, UNIT, input, 0);
  const out = await session.run({ images: new ort.Tensor("float32", input, [1, 3, size, size]) });
  const graph = compareDetections(detections(out, 0, 1, model), Array.from(out.labels!.data as BigInt64Array, Number), reference, ref);
  const [regions] = (await extractor.extract([image])) as CountedRegionFeatures[];
  const extracted = regionDifference(regions!, reference, ref);
  const roiAlign = roiAlignDifference(reference, ref);
  const sameBytes = createHash("sha256").update(letterboxed.rgb).digest("hex") === ref.resizedSha256;
  Object.assign(worst, {
    box: Math.max(worst.box, graph.worstBox),
    score: Math.max(worst.score, graph.worstScore),
    keptBox: Math.max(worst.keptBox, graph.keptWorstBox),
    keptScore: Math.max(worst.keptScore, graph.keptWorstScore),
    relative: Math.max(worst.relative, extracted.relative),
    roiAlign: Math.max(worst.roiAlign, roiAlign),
    minMatched: Math.min(worst.minMatched, graph.matched),
    keptDiffers: worst.keptDiffers + (graph.keptCount !== ref.realRegions || extracted.realRegions !== ref.realRegions ? 1 : 0),
  });
  console.log(JSON.stringify({ image: ref.file, size: `${ref.width}x${ref.height}`, sameLetterboxBytes: sameBytes, detections: ref.detections, ...graph, kept: ref.realRegions, extractorKept: extracted.realRegions, regionBoxDiff: extracted.worstBox, featuresRelative: extracted.relative, roiAlignAbs: roiAlign }));
}
console.log(JSON.stringify({ worst, images: reference.images.length }));

// Speed: COUNT distinct meme-sized images (copies of the test images under distinct hashes; the 2000 px one left out:
// prepare shrinks it to 1333 px first) through extractToCache, then the same count of runs of a bare session.
const memeSized = decoded.filter((d) => Math.max(d.width, d.height) < 1000);
const sources: ImageSource[] = Array.from({ length: COUNT }, (_, i) => {
  const image = { ...memeSized[i % memeSized.length]!, sha256: createHash("sha256").update(`bench ${i}`).digest("hex") };
  return { sha256: image.sha256, load: async () => image };
});
const tmp = mkdtempSync(join(tmpdir(), "memeops-bench-"));
let start = performance.now();
await extractToCache(extractor, new FeatureCache(join(tmp, "cache")), sources, { batchSize: 8 });
const memeops = sources.length / ((performance.now() - start) / 1000);
rmSync(tmp, { recursive: true, force: true });

// The bare session gets the same images, letterboxed beforehand: a detector's cost depends on what it detects.
const inputs = await Promise.all(
  memeSized.map(async (image) => {
    const data = new Float32Array(3 * size * size);
    writeChw((await resizeLetterbox(image, size, "pil-bilinear")).rgb, size, UNIT, data, 0);
    return new ort.Tensor("float32", data, [1, 3, size, size]);
  }),
);
start = performance.now();
for (let r = 0; r < COUNT; r++) await session.run({ images: inputs[r % inputs.length]! });
const raw = COUNT / ((performance.now() - start) / 1000);
console.log(JSON.stringify({ images: COUNT, memeopsImagesPerSecond: +memeops.toFixed(2), rawSessionImagesPerSecond: +raw.toFixed(2), ratio: +(memeops / raw).toFixed(3) }));
await session.release();
await extractor.close();
