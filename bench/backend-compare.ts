// wasm against the native TensorFlow CPU backend (tfjs-node, libtensorflow 2.9.1) in one process: training samples/s
// of the tiny and small ViLBERTs and plain matMul GFLOP/s on each, and their ratio. Same models, seeds and batches.
//   bash test/tfjs-node/install.sh && npx tsx bench/backend-compare.ts [steps=20] [batch=32]   (~7 min on 2 cores)
// Interleaves the backends (wasm, tensorflow, wasm, tensorflow) and keeps each one's best round: on a shared
// machine the load changes between rounds, and the best round is the least disturbed one.
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../trainer-image/src/training/tfjs-backend.ts";
import { createModel } from "../trainer-image/src/models/registry.ts";
import type { ModelSize } from "../trainer-image/src/models/model.ts";
import { AdamW, ADAMW_DEFAULTS } from "../trainer-image/src/training/adamw.ts";
import { trainStep } from "../trainer-image/src/training/step.ts";
import { xorMemes, XOR_DIMS } from "../trainer-image/src/training/xor-memes.ts";

const BACKENDS = ["wasm", "tensorflow"] as const;
type Backend = (typeof BACKENDS)[number];
const SIZES: ModelSize[] = ["tiny", "small"];

/** GFLOP/s of an n x n x n matMul on the current backend, reading each result back. */
export function matMulGflops(n: number, repeats: number): number {
  const [a, b] = [tf.randomNormal([n, n]), tf.randomNormal([n, n])];
  tf.matMul(a, b).dispose(); // warm-up: kernel set-up, first allocation
  const start = performance.now();
  for (let i = 0; i < repeats; i++) {
    const c = tf.matMul(a, b);
    c.dataSync(); // outside any tf.tidy: dataSync inside one measured ~20x slower on wasm
    c.dispose();
  }
  const seconds = (performance.now() - start) / 1000;
  tf.dispose([a, b]);
  return (2 * n ** 3 * repeats) / seconds / 1e9;
}

/** Training samples/s of a seeded vilbert_facebook on the current backend, after two warm-up steps. */
export function trainSamplesPerSecond(size: ModelSize, steps: number, batchSize: number): number {
  const model = createModel("vilbert_facebook", size, XOR_DIMS, { seed: 1 });
  const batches = [...xorMemes({ n: batchSize * (steps + 2), seed: 1 }).batches(batchSize, { shuffleSeed: 1 })];
  const optimizer = new AdamW({ ...ADAMW_DEFAULTS, weightDecay: 0.01 });
  const settings = { loss: { type: "ce" as const, alpha: 0.35, gamma: 2, smoothing: 0.1 }, learningRate: 1e-4, gradientClip: 1, dropoutSeed: 1 };
  for (const b of batches.slice(0, 2)) trainStep(model, optimizer, b, XOR_DIMS, settings);
  const start = performance.now();
  for (const b of batches.slice(2)) trainStep(model, optimizer, b, XOR_DIMS, settings);
  const seconds = (performance.now() - start) / 1000;
  optimizer.dispose();
  model.dispose();
  return (steps * batchSize) / seconds;
}

interface Round {
  matMul512: number;
  matMul1024: number;
  samplesPerSecond: Record<ModelSize, number>;
}

async function round(backend: Backend, steps: number, batchSize: number): Promise<Round> {
  process.env.MEMEOPS_BACKEND = backend; // selected the way the trainer selects it
  await selectBackend();
  const samplesPerSecond = {} as Record<ModelSize, number>;
  for (const size of SIZES) samplesPerSecond[size] = trainSamplesPerSecond(size, steps, batchSize);
  return { matMul512: matMulGflops(512, 20), matMul1024: matMulGflops(1024, 5), samplesPerSecond };
}

const best = (a: Round, b: Round): Round => ({
  matMul512: Math.max(a.matMul512, b.matMul512),
  matMul1024: Math.max(a.matMul1024, b.matMul1024),
  samplesPerSecond: Object.fromEntries(SIZES.map((s) => [s, Math.max(a.samplesPerSecond[s], b.samplesPerSecond[s])])) as Round["samplesPerSecond"],
});

async function main() {
  const steps = Number(process.argv[2] ?? 20);
  const batchSize = Number(process.argv[3] ?? 32);
  console.log(`batch ${batchSize}; dims T=${XOR_DIMS.T} R=${XOR_DIMS.R} D=${XOR_DIMS.D}; ${steps} timed steps; 2 rounds per backend, best kept`);
  const results = {} as Record<Backend, Round>;
  for (let r = 0; r < 2; r++) {
    for (const backend of BACKENDS) {
      const measured = await round(backend, steps, batchSize);
      results[backend] = results[backend] ? best(results[backend], measured) : measured;
    }
  }
  const row = (label: string, get: (r: Round) => number, unit: string) =>
    console.log(
      `${label.padEnd(24)} ${BACKENDS.map((b) => `${b} ${get(results[b]).toFixed(1).padStart(7)} ${unit}`).join("   ")}` +
        `   tensorflow/wasm ${(get(results.tensorflow) / get(results.wasm)).toFixed(2)}x`,
    );
  row("matMul 512x512x512", (r) => r.matMul512, "GFLOP/s");
  row("matMul 1024x1024x1024", (r) => r.matMul1024, "GFLOP/s");
  for (const size of SIZES) row(`train ${size}`, (r) => r.samplesPerSecond[size], "samples/s");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
