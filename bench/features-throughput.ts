// Feature extraction throughput: `npx tsx bench/features-throughput.ts` (BENCH_IMAGES, BENCH_BATCH, MEMEOPS_ORT_THREADS).
// Prints images/s for sharp decoding, `pixels` through the pipeline, an ONNX backbone of realistic cost through the
// pipeline (decode + resize + inference + cache write) against the raw onnxruntime session on pre-made tensors in
// the same run, and the cache hit path.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { decodeImage } from "../trainer-image/src/data/decode.ts";
import type { ImageSource } from "../trainer-image/src/features/batch-pipeline.ts";
import { FeatureCache } from "../trainer-image/src/features/cache/feature-cache.ts";
import { extractToCache } from "../trainer-image/src/features/extract-with-cache.ts";
import { intraOpThreads, ort, sessionOptions } from "../trainer-image/src/features/onnx/onnx-model.ts";
import { createExtractor } from "../trainer-image/src/features/registry.ts";
import { benchConvNet } from "../test/fixtures/onnx/graphs.ts";

const IMAGES = Number(process.env.BENCH_IMAGES ?? 32);
const BATCH = Number(process.env.BENCH_BATCH ?? 8);
const tmp = mkdtempSync(join(tmpdir(), "memeops-bench-"));
// Wall time is what matters, but this machine shares its 2 cores with other work: CPU time per image
// (all threads of this process) is also printed, as the load-independent cost.
let lastCpuSeconds = 0;
const report = (what: string, count: number, seconds: number, extra: Record<string, unknown> = {}) => {
  const cpuMsPerImage = +((lastCpuSeconds * 1000) / count).toFixed(2);
  console.log(JSON.stringify({ what, count, seconds: +seconds.toFixed(3), perSecond: +(count / seconds).toFixed(1), cpuMsPerImage, ...extra }));
  return count / seconds;
};
const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(cpu);
  lastCpuSeconds = (used.user + used.system) / 1e6;
  return [result, (performance.now() - start) / 1000];
};

/** Meme-sized JPEGs (640-800 px wide) with gradients, noise and a white band of "caption". */
async function makeJpegs(count: number): Promise<Buffer[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const width = 640 + (i % 5) * 40;
      const height = 480 + (i % 3) * 60;
      const rgb = Buffer.alloc(width * height * 3);
      for (let p = 0, seed = i + 1; p < width * height; p++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        const [x, y] = [p % width, Math.floor(p / width)];
        const band = y > height * 0.8 && (x >> 3) % 3 !== 0;
        rgb[p * 3] = band ? 255 : (x + i * 17) % 256;
        rgb[p * 3 + 1] = band ? 255 : (y * 2 + (seed & 31)) % 256;
        rgb[p * 3 + 2] = band ? 255 : (x ^ y) % 256;
      }
      return sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
    }),
  );
}

/** Images as the prepare stage hands them over: known by hash, decoded by data/decode.ts when needed. */
const sourcesOf = (jpegs: Buffer[]): Promise<ImageSource[]> =>
  Promise.all(jpegs.map(async (bytes) => ({ sha256: (await decodeImage(bytes)).image.sha256, load: async () => (await decodeImage(bytes)).image })));

/** The same model in a bare onnxruntime session (same settings as the extractor's), fed one pre-made batch. */
async function rawSession(modelPath: string) {
  const session = await ort.InferenceSession.create(modelPath, sessionOptions());
  const data = Float32Array.from({ length: BATCH * 3 * 224 * 224 }, (_, i) => ((i * 7919) % 1000) / 500 - 1);
  const input = new ort.Tensor("float32", data, [BATCH, 3, 224, 224]);
  await session.run({ input }); // warm-up
  return {
    async rate(runs: number): Promise<number> {
      const [, seconds] = await timed(async () => {
        for (let r = 0; r < runs; r++) await session.run({ input });
      });
      return report("onnx raw session.run, pre-made tensors", runs * BATCH, seconds, { batch: BATCH });
    },
    release: () => session.release(),
  };
}

console.log(JSON.stringify({ cores: availableParallelism(), intraOpThreads: intraOpThreads(), spin: process.env.MEMEOPS_ORT_SPIN === "1", loadavg: loadavg().map((l) => +l.toFixed(1)), images: IMAGES, batch: BATCH }));
const jpegs = await makeJpegs(IMAGES);
const sources = await sourcesOf(jpegs);

// 1. sharp decode alone, as the pipeline runs it (up to libuv's 4 threads at once).
const [, decodeSeconds] = await timed(() => Promise.all(sources.map((s) => s.load())));
report("sharp decode JPEG ~700x540 -> RGB", IMAGES, decodeSeconds, { avgKB: Math.round(jpegs.reduce((a, b) => a + b.length, 0) / IMAGES / 1024) });

// 2. pixels: decode + resize + statistics + cache write.
const pixels = await createExtractor("pixels", { regions: 36 });
const [, pixelSeconds] = await timed(() => extractToCache(pixels, new FeatureCache(join(tmp, "pixels")), sources, { batchSize: BATCH }));
report("pixels pipeline (decode+resize+stats+cache write)", IMAGES, pixelSeconds);

// 3. ONNX backbone, raw vs pipeline, alternated so background load hits both alike; the median ratio is the figure.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const modelPath = join(tmp, "bench-convnet.onnx");
writeFileSync(modelPath, benchConvNet());
const extractor = await createExtractor("resnet", { regions: 36, modelPath });
await extractor.extract([await sources[0]!.load()]); // warm-up
const raw = await rawSession(modelPath);
const ratios: number[] = [];
const cpuRatios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const rawRate = await raw.rate(Math.ceil(IMAGES / BATCH));
  const rawCpu = lastCpuSeconds;
  const cache = new FeatureCache(join(tmp, `resnet-${round}`));
  const [, seconds] = await timed(() => extractToCache(extractor, cache, sources, { batchSize: BATCH }));
  ratios.push(report("onnx pipeline (decode+resize+inference+pool+cache write)", IMAGES, seconds, { batch: BATCH }) / rawRate);
  cpuRatios.push(rawCpu / lastCpuSeconds);
}
await raw.release();
const median = (values: number[]) => +[...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!.toFixed(3);
console.log(JSON.stringify({
  pipelineOverRawThroughput: { perRound: ratios.map((r) => +r.toFixed(3)), median: median(ratios) },
  rawCpuOverPipelineCpu: { perRound: cpuRatios.map((r) => +r.toFixed(3)), median: median(cpuRatios) },
}));

// 4. Cache hits: 36 x 2048 features per image, read and checked.
const [stats, hitSeconds] = await timed(() => extractToCache(extractor, new FeatureCache(join(tmp, "resnet-0")), sources, { batchSize: BATCH }));
report("feature cache hits (36x2048 f32, CRC checked)", stats.hits, hitSeconds, { MBps: +((stats.hits * 36 * 2053 * 4) / 1e6 / hitSeconds).toFixed(1) });
await extractor.close();
rmSync(tmp, { recursive: true, force: true });
