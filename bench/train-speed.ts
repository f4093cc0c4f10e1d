// Training throughput of the tiny and small ViLBERTs on the wasm backend, and the FLOP/s they achieve as a
// fraction of the same backend's plain matMul throughput, measured in this run.
//   npx tsx bench/train-speed.ts [steps=20] [batch=32]
// FLOPs: the matmuls of one forward pass (counted as they run, 2*M*N*K each), times 3 for forward + backward.
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../trainer-image/src/training/backend.ts";
import { createModel } from "../trainer-image/src/models/registry.ts";
import { parameterCount } from "../trainer-image/src/models/model.ts";
import { countMatMulFlops } from "../trainer-image/src/models/layers/kernels.ts";
import { toModelInputs, disposeInputs } from "../trainer-image/src/models/layers/inputs.ts";
import { ForwardContext } from "../trainer-image/src/models/layers/context.ts";
import { AdamW, ADAMW_DEFAULTS } from "../trainer-image/src/training/adamw.ts";
import { trainStep } from "../trainer-image/src/training/step.ts";
import { xorMemes, XOR_DIMS } from "../trainer-image/src/training/xor-memes.ts";
import type { ModelSize } from "../trainer-image/src/models/model.ts";

const steps = Number(process.argv[2] ?? 20);
const batchSize = Number(process.argv[3] ?? 32);

function matMulGflops(n: number, repeats: number): number {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  tf.matMul(a, b).dispose();
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

async function benchModel(size: ModelSize) {
  const model = createModel("vilbert_facebook", size, XOR_DIMS, { seed: 1 });
  const data = xorMemes({ n: batchSize * (steps + 2), seed: 1 });
  const batches = [...data.batches(batchSize, { shuffleSeed: 1 })];
  const optimizer = new AdamW({ ...ADAMW_DEFAULTS, weightDecay: 0.01 });
  const settings = { loss: { type: "ce" as const, alpha: 0.35, gamma: 2, smoothing: 0.1 }, learningRate: 1e-4, gradientClip: 1, dropoutSeed: 1 };

  const inputs = toModelInputs(batches[0]!, XOR_DIMS);
  const forwardFlops = countMatMulFlops(() => tf.tidy(() => void model.logits(inputs, new ForwardContext(false))));
  disposeInputs(inputs);

  for (const b of batches.slice(0, 2)) trainStep(model, optimizer, b, XOR_DIMS, settings); // warm-up
  const start = performance.now();
  for (const b of batches.slice(2)) trainStep(model, optimizer, b, XOR_DIMS, settings);
  const seconds = (performance.now() - start) / 1000;
  const achieved = (3 * forwardFlops * steps) / seconds;
  const result = {
    size,
    parameters: parameterCount(model).total,
    samplesPerSecond: (steps * batchSize) / seconds,
    stepsPerSecond: steps / seconds,
    forwardGflopPerSample: forwardFlops / batchSize / 1e9,
    achievedGflops: achieved / 1e9,
  };
  optimizer.dispose();
  model.dispose();
  return result;
}

const backend = await selectBackend({ candidates: ["wasm"] });
console.log(`backend: ${backend.choice}; batch ${batchSize}; dims T=${XOR_DIMS.T} R=${XOR_DIMS.R} D=${XOR_DIMS.D}; ${steps} timed steps`);
const peak = matMulGflops(512, 20);
console.log(`plain matMul 512x512x512: ${peak.toFixed(1)} GFLOP/s`);
for (const size of ["tiny", "small"] as const) {
  const r = await benchModel(size);
  console.log(
    `${size.padEnd(5)} params ${(r.parameters / 1e6).toFixed(2)}M  ${r.samplesPerSecond.toFixed(1)} samples/s  ` +
      `${r.stepsPerSecond.toFixed(2)} steps/s  fwd ${(r.forwardGflopPerSample * 1e3).toFixed(2)} MFLOP/sample  ` +
      `achieved ${r.achievedGflops.toFixed(2)} GFLOP/s = ${((100 * r.achievedGflops) / peak).toFixed(1)}% of matMul`,
  );
}
const after = matMulGflops(512, 20);
console.log(`plain matMul 512x512x512 again: ${after.toFixed(1)} GFLOP/s (machine load check)`);
