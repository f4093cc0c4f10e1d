// Training throughput of the tiny and small ViLBERTs on the wasm backend, and the FLOP/s they achieve as a
// fraction of the same backend's plain matMul throughput, measured between the timed steps of the same run.
//   npx tsx bench/train-speed.ts [steps=20] [batch=32]
// FLOPs: the matmuls of one forward pass (matMul and the dense layers' fused matmul + bias, counted as they run,
// 2*M*N*K each; nothing for bias, softmax, norms), times 3 for forward + backward. The backward's bias sums, run
// as ones[1, M] @ dy products, are not counted.
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../trainer-image/src/training/tfjs-backend.ts";
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
/** plain matMuls timed after every step, the reference the model's FLOP/s is a fraction of */
const PROBES_PER_STEP = 2;

const PROBE_N = 512;

/** Seconds for `repeats` plain PROBE_N^3 matMuls (a and b made once). */
function matMulSeconds(a: tf.Tensor, b: tf.Tensor, repeats: number): number {
  const start = performance.now();
  for (let i = 0; i < repeats; i++) {
    const c = tf.matMul(a, b);
    c.dataSync(); // outside any tf.tidy: dataSync inside one measured ~20x slower on wasm
    c.dispose();
  }
  return (performance.now() - start) / 1000;
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

  // plain matMul probes run between the timed steps (their time kept apart), so the model and its reference see
  // the same machine load
  const a = tf.randomNormal([PROBE_N, PROBE_N]);
  const b = tf.randomNormal([PROBE_N, PROBE_N]);
  for (const batch of batches.slice(0, 2)) trainStep(model, optimizer, batch, XOR_DIMS, settings); // warm-up
  matMulSeconds(a, b, 1);
  let seconds = 0;
  let probeSeconds = 0;
  for (const batch of batches.slice(2)) {
    const start = performance.now();
    trainStep(model, optimizer, batch, XOR_DIMS, settings);
    seconds += (performance.now() - start) / 1000;
    probeSeconds += matMulSeconds(a, b, PROBES_PER_STEP);
  }
  tf.dispose([a, b]);
  const achieved = (3 * forwardFlops * steps) / seconds;
  const matMulGflops = (2 * PROBE_N ** 3 * PROBES_PER_STEP * steps) / probeSeconds / 1e9;
  const result = {
    size,
    parameters: parameterCount(model).total,
    samplesPerSecond: (steps * batchSize) / seconds,
    stepsPerSecond: steps / seconds,
    forwardGflopPerSample: forwardFlops / batchSize / 1e9,
    achievedGflops: achieved / 1e9,
    matMulGflops,
  };
  optimizer.dispose();
  model.dispose();
  return result;
}

/** Other processes share the cores: the load average goes with every figure; the ratio, taken against probes
 * interleaved with the steps, is the robust one. */
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");

const backend = await selectBackend({ candidates: ["wasm"] });
console.log(`load average at start: ${load()} (${os.cpus().length} cores)`);
console.log(`backend: ${backend.choice}; batch ${batchSize}; dims T=${XOR_DIMS.T} R=${XOR_DIMS.R} D=${XOR_DIMS.D}; ${steps} timed steps`);
for (const size of ["tiny", "small"] as const) {
  const r = await benchModel(size);
  console.log(
    `${size.padEnd(5)} params ${(r.parameters / 1e6).toFixed(2)}M  ${r.samplesPerSecond.toFixed(1)} samples/s  ` +
      `${r.stepsPerSecond.toFixed(2)} steps/s  fwd ${(r.forwardGflopPerSample * 1e3).toFixed(2)} MFLOP/sample  ` +
      `achieved ${r.achievedGflops.toFixed(2)} GFLOP/s = ${((100 * r.achievedGflops) / r.matMulGflops).toFixed(1)}% of plain ` +
      `matMul ${PROBE_N}^3 (${r.matMulGflops.toFixed(1)} GFLOP/s between the steps); load ${load()}`,
  );
}
