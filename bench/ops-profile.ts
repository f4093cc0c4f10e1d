// Where one training step of the tiny and small ViLBERTs spends its time on the wasm backend: every wasm kernel is
// wrapped with a wall-clock timer (wasm kernels run synchronously, so the wrapper measures the kernel itself), and
// each call is attributed to the step's phase (forward, backward+loss+clip, AdamW, the rest). What the kernels do
// not account for is tfjs bookkeeping in JS (tape, tensor tracking, dispose) and the model's own JS.
//   npx tsx bench/ops-profile.ts [steps=5] [batch=32] [sizes=tiny,small]     (PROFILE_ALL=1: every phase/kernel row)
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../trainer-image/src/training/tfjs-backend.ts";
import { createModel } from "../trainer-image/src/models/registry.ts";
import { AdamW, ADAMW_DEFAULTS } from "../trainer-image/src/training/adamw.ts";
import { trainStep } from "../trainer-image/src/training/step.ts";
import { xorMemes, XOR_DIMS } from "../trainer-image/src/training/xor-memes.ts";
import type { ModelSize } from "../trainer-image/src/models/model.ts";

const steps = Number(process.argv[2] ?? 5);
const batchSize = Number(process.argv[3] ?? 32);
const sizes = (process.argv[4] ?? "tiny,small").split(",") as ModelSize[];

type Phase = "forward" | "backward" | "adamw" | "other";
interface Tally { ms: number; calls: number }
let phase: Phase = "other";
let tallies = new Map<string, Tally>();

function record(key: string, ms: number): void {
  const t = tallies.get(key) ?? { ms: 0, calls: 0 };
  t.ms += ms;
  t.calls += 1;
  tallies.set(key, t);
}

/** Re-registers every kernel of `backend` with a timing wrapper. */
function instrumentKernels(backend: string): void {
  for (const config of tf.getKernelsForBackend(backend)) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const start = performance.now();
        const out = inner(args);
        const ms = performance.now() - start;
        record(`${phase}\t${config.kernelName}`, ms);
        if (config.kernelName === "BatchMatMul" || config.kernelName === "Transpose") {
          const { a, b, x } = args.inputs as Record<string, tf.TensorInfo | undefined>;
          const shapes = x ? `${x.shape}` : `${a!.shape}x${b!.shape}`;
          record(`shape\t${config.kernelName} ${shapes}`, ms);
        }
        return out;
      },
    });
  }
}

function profileModel(size: ModelSize) {
  const model = createModel("vilbert_facebook", size, XOR_DIMS, { seed: 1 });
  const data = xorMemes({ n: batchSize * (steps + 2), seed: 1 });
  const batches = [...data.batches(batchSize, { shuffleSeed: 1 })];
  const optimizer = new AdamW({ ...ADAMW_DEFAULTS, weightDecay: 0.01 });
  const settings = { loss: { type: "ce" as const, alpha: 0.35, gamma: 2, smoothing: 0.1 }, learningRate: 1e-4, gradientClip: 1, dropoutSeed: 1 };
  // phase markers: the forward pass is model.logits; after it returns come the loss, the backward pass and the
  // clip; then AdamW
  const logits = model.logits.bind(model);
  model.logits = (x, ctx) => {
    phase = "forward";
    const out = logits(x, ctx);
    phase = "backward";
    return out;
  };
  const apply = optimizer.apply.bind(optimizer);
  optimizer.apply = (params, grads, lr) => {
    phase = "adamw";
    apply(params, grads, lr);
    phase = "other";
  };
  for (const b of batches.slice(0, 2)) trainStep(model, optimizer, b, XOR_DIMS, settings); // warm-up
  tallies = new Map();
  phase = "other";
  const start = performance.now();
  for (const b of batches.slice(2)) trainStep(model, optimizer, b, XOR_DIMS, settings);
  const stepMs = (performance.now() - start) / steps;
  const result = { size, stepMs, tallies };
  optimizer.dispose();
  model.dispose();
  return result;
}

function report({ size, stepMs, tallies }: ReturnType<typeof profileModel>): void {
  const shapes = [...tallies].filter(([key]) => key.startsWith("shape\t"));
  for (const key of shapes.map(([k]) => k)) tallies.delete(key);
  const perStep = [...tallies].map(([key, t]) => {
    const [p, kernel] = key.split("\t") as [Phase, string];
    return { phase: p, kernel, ms: t.ms / steps, calls: t.calls / steps };
  });
  const kernelMs = perStep.reduce((s, r) => s + r.ms, 0);
  const calls = perStep.reduce((s, r) => s + r.calls, 0);
  console.log(`\n== ${size}: ${stepMs.toFixed(1)} ms/step; kernels ${kernelMs.toFixed(1)} ms in ${calls.toFixed(0)} calls; ` +
    `outside kernels (JS/tape/dispose) ${(stepMs - kernelMs).toFixed(1)} ms = ${((stepMs - kernelMs) / calls * 1000).toFixed(1)} us per kernel call`);
  const byPhase = new Map<string, { ms: number; calls: number }>();
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const r of perStep) {
    for (const [map, key] of [[byPhase, r.phase], [byKernel, r.kernel]] as const) {
      const t = map.get(key) ?? { ms: 0, calls: 0 };
      t.ms += r.ms;
      t.calls += r.calls;
      map.set(key, t);
    }
  }
  const line = (name: string, t: { ms: number; calls: number }) =>
    `  ${name.padEnd(24)} ${t.ms.toFixed(2).padStart(8)} ms ${((100 * t.ms) / stepMs).toFixed(1).padStart(5)}%  ${t.calls.toFixed(0).padStart(5)} calls  ${((1000 * t.ms) / t.calls).toFixed(1).padStart(8)} us/call`;
  console.log(" by phase:");
  for (const [p, t] of byPhase) console.log(line(p, t));
  console.log(" by kernel (top 20):");
  for (const [k, t] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20)) console.log(line(k, t));
  const top = process.env.PROFILE_ALL ? perStep.length : 16;
  console.log(` by phase and kernel (top ${top}):`);
  for (const r of [...perStep].sort((a, b) => b.ms - a.ms).slice(0, top)) console.log(line(`${r.phase}/${r.kernel}`, r));
  console.log(" matMul and transpose by input shape (top 16):");
  for (const [k, t] of shapes.sort((a, b) => b[1].ms - a[1].ms).slice(0, 16)) {
    console.log(line(k.split("\t")[1]!, { ms: t.ms / steps, calls: t.calls / steps }).replace(/^  /, "  ").replace(/(\S+ \S+)\s+/, "$1 "));
  }
}

const backend = await selectBackend({ candidates: ["wasm"] });
instrumentKernels(backend.tfName);
console.log(`backend: ${backend.choice}; batch ${batchSize}; dims T=${XOR_DIMS.T} R=${XOR_DIMS.R} D=${XOR_DIMS.D}; ${steps} profiled steps`);
for (const size of sizes) report(profileModel(size));
