// Training samples/s of the minilm-sized models with and without training.freeze, on the wasm backend, at the
// shapes of the HarMeme benchmark: 64-token texts (real lengths drawn from 16 to 64) and 49 regions x 1280-d
// features (EfficientNet-Lite0's 7x7 grid). With freeze, the frozen parts' outputs are cached first (their time and
// rate are printed apart: they run once per sample, not once per epoch), then steps run on the cached batches.
//   npx tsx bench/freeze-speed.ts [steps=6] [batch=32] [only=LABEL-SUBSTRING]
// MEMEOPS_BACKEND=tensorflow runs it on native TensorFlow (test/tfjs-node/install.sh), whose kernels use both cores:
// there the CPU-time rate counts both threads' time.
// Per line: the trainable / total parameters, the step rate (after 1 warm-up step) per second of this process's CPU
// time and of wall time, the cache's rate, and what one epoch of HarMeme's 3,013 training memes would take at the
// CPU-time rate. wasm runs on one thread, so on an idle machine wall time ~ CPU time; on a shared one the CPU-time
// rate is what the same machine would give its one process.
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../trainer-image/src/training/tfjs-backend.ts";
import { createModel } from "../trainer-image/src/models/registry.ts";
import type { FrozenLayers, Modality } from "../trainer-image/src/models/model.ts";
import { AdamW, ADAMW_DEFAULTS } from "../trainer-image/src/training/adamw.ts";
import { trainStep } from "../trainer-image/src/training/step.ts";
import { InMemoryBatchSource } from "../trainer-image/src/training/memory-source.ts";
import { withFrozenOutputs } from "../trainer-image/src/training/frozen-cache.ts";
import { mulberry32 } from "../trainer-image/src/common/rng.ts";
import type { Batch, Dims } from "../trainer-image/src/common/batch.ts";

const steps = Number(process.argv[2] ?? 6);
const batchSize = Number(process.argv[3] ?? 32);
const only = process.argv[4];
const DIMS: Dims = { T: 64, R: 49, D: 1280 };
const HARMEME_TRAIN = 3013;

function randomSplit(n: number, seed: number): InMemoryBatchSource {
  const { T, R, D } = DIMS;
  const rand = mulberry32(seed);
  const b: Batch = {
    ids: Array.from({ length: n }, (_, i) => `m${i}`),
    inputIds: new Int32Array(n * T), attentionMask: new Int32Array(n * T), tokenTypeIds: new Int32Array(n * T),
    features: new Float32Array(n * R * D), boxes: new Float32Array(n * R * 5), regionMask: new Float32Array(n * R).fill(1),
    labels: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const len = 16 + Math.floor(rand() * 49);
    for (let t = 0; t < len; t++) {
      b.inputIds[i * T + t] = t === 0 ? 101 : t === len - 1 ? 102 : 1000 + Math.floor(rand() * 29000);
      b.attentionMask[i * T + t] = 1;
    }
    for (let k = 0; k < R * D; k++) b.features[i * R * D + k] = rand() * 2;
    for (let r = 0; r < R; r++) {
      const [x, y] = [(r % 7) / 7, Math.floor(r / 7) / 7];
      b.boxes.set([x, y, x + 1 / 7, y + 1 / 7, 1 / 49], (i * R + r) * 5);
    }
    b.labels[i] = rand() < 0.35 ? 1 : 0;
  }
  return new InMemoryBatchSource(DIMS, b);
}

interface Case { label: string; modalities: Modality[]; frozen: FrozenLayers }

const CASES: Case[] = [
  { label: "text+image, nothing frozen", modalities: ["text", "image"], frozen: { text: null, visual: null } },
  { label: "text+image, text embeddings + 4 layers frozen", modalities: ["text", "image"], frozen: { text: 4, visual: null } },
  { label: "text+image, whole text stream frozen", modalities: ["text", "image"], frozen: { text: 6, visual: null } },
  { label: "text only, nothing frozen", modalities: ["text"], frozen: { text: null, visual: null } },
  { label: "text only, embeddings + 4 layers frozen", modalities: ["text"], frozen: { text: 4, visual: null } },
  { label: "text only, all 6 layers frozen", modalities: ["text"], frozen: { text: 6, visual: null } },
  { label: "image only", modalities: ["image"], frozen: { text: null, visual: null } },
];

async function main() {
  await selectBackend({ candidates: [process.env.MEMEOPS_BACKEND === "tensorflow" ? "tensorflow" : "wasm"] });
  console.log(`backend ${tf.getBackend()}; T=${DIMS.T} R=${DIMS.R} D=${DIMS.D}; batch ${batchSize}; ${steps} timed steps after 1 warm-up`);
  for (const c of CASES.filter((k) => !only || k.label.includes(only))) {
    const model = createModel("vilbert_facebook", "minilm", DIMS, { seed: 1, modalities: c.modalities });
    model.freeze(c.frozen);
    const { total, trainable } = model.params.count();
    const data = randomSplit(batchSize * (steps + 1), 7);
    const cacheStart = performance.now();
    const cacheCpu = process.cpuUsage();
    const source = await withFrozenOutputs(model, data, batchSize);
    const cacheSeconds = (performance.now() - cacheStart) / 1000;
    const cacheCpuUsed = process.cpuUsage(cacheCpu);
    const cacheCpuSeconds = (cacheCpuUsed.user + cacheCpuUsed.system) / 1e6;
    const optimizer = new AdamW({ ...ADAMW_DEFAULTS, weightDecay: 0.01 });
    const settings = { loss: { type: "ce" as const, alpha: 0.35, gamma: 2, smoothing: 0.1 }, learningRate: 1e-4, gradientClip: 1, dropoutSeed: 1 };
    const batches = [...source.batches(batchSize, { shuffleSeed: 1 })];
    trainStep(model, optimizer, batches[0]!, DIMS, settings);
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (const batch of batches.slice(1)) trainStep(model, optimizer, batch, DIMS, settings);
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const samples = (batches.length - 1) * batchSize;
    const cacheRate = source === data ? null : { wall: data.size / cacheSeconds, cpu: data.size / cacheCpuSeconds };
    console.log(
      `${c.label.padEnd(48)} trainable ${(trainable / 1e6).toFixed(1)}M of ${(total / 1e6).toFixed(1)}M  ` +
        `${(samples / cpuSeconds).toFixed(1)} samples/CPU-s (${(samples / seconds).toFixed(1)}/s wall)` +
        (cacheRate ? `  cache, once: ${cacheRate.cpu.toFixed(1)} samples/CPU-s (${cacheRate.wall.toFixed(1)}/s wall)` : "") +
        `  -> a HarMeme epoch ${(HARMEME_TRAIN / (samples / cpuSeconds) / 60).toFixed(1)} CPU-min`,
    );
    optimizer.dispose();
    model.dispose();
  }
}

await main();
