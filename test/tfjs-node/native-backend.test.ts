// The trainer on the real @tensorflow/tfjs-node CPU backend (libtensorflow 2.9.1, built by install.sh from registry
// packages; the global setup installs it or fails the run). The same seeded ViLBERT must compute the same logits,
// and train to the same losses, on tfjs-node as on wasm (the backend every other test uses); and the quickstart
// must run end to end on it.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { selectBackend, type BackendChoice } from "../../trainer-image/src/training/tfjs-backend.ts";
import { createModel } from "../../trainer-image/src/models/registry.ts";
import type { ModelName } from "../../trainer-image/src/models/model.ts";
import { toModelInputs, disposeInputs } from "../../trainer-image/src/models/layers/inputs.ts";
import { ForwardContext } from "../../trainer-image/src/models/layers/context.ts";
import { AdamW, ADAMW_DEFAULTS } from "../../trainer-image/src/training/adamw.ts";
import { trainStep } from "../../trainer-image/src/training/step.ts";
import { xorMemes, XOR_DIMS } from "../../trainer-image/src/training/xor-memes.ts";

const forcedBefore = process.env.MEMEOPS_BACKEND;
afterEach(() => {
  if (forcedBefore === undefined) delete process.env.MEMEOPS_BACKEND;
  else process.env.MEMEOPS_BACKEND = forcedBefore;
});

/** Selects `choice` the way the trainer does (MEMEOPS_BACKEND) and runs `fn` on it. */
async function on<T>(choice: BackendChoice, fn: () => T): Promise<T> {
  process.env.MEMEOPS_BACKEND = choice;
  const selected = await selectBackend();
  expect(selected.tfName).toBe(choice);
  return fn();
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  return Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!)));
};

describe("backend selection", () => {
  it("MEMEOPS_BACKEND=tensorflow selects tfjs-node's backend, with libtensorflow 2.9.1 behind it", async () => {
    process.env.MEMEOPS_BACKEND = "tensorflow";
    const lines: string[] = [];
    const selected = await selectBackend({ log: (line) => lines.push(line) });
    expect(selected).toEqual({ choice: "tensorflow", tfName: "tensorflow", reasons: ["tensorflow: selected (MEMEOPS_BACKEND)"] });
    expect(lines).toEqual(["tfjs backend: tensorflow (tensorflow: selected (MEMEOPS_BACKEND))"]);
    const binding = (tf.backend() as unknown as { binding: { TF_Version: string } }).binding;
    expect(binding.TF_Version).toBe("2.9.1");
  });

  it("the default order logs why tensorflow-gpu was skipped and takes tensorflow next", async () => {
    delete process.env.MEMEOPS_BACKEND;
    const selected = await selectBackend();
    expect(selected.choice).toBe("tensorflow");
    expect(selected.reasons).toHaveLength(2);
    expect(selected.reasons[0]).toMatch(/^tensorflow-gpu: unavailable \(.*@tensorflow\/tfjs-node-gpu/);
    expect(selected.reasons[1]).toBe("tensorflow: selected");
  });

  it("a forced backend that cannot load is an error naming it, not a fallback", async () => {
    process.env.MEMEOPS_BACKEND = "tensorflow-gpu";
    await expect(selectBackend()).rejects.toThrow(/^MEMEOPS_BACKEND=tensorflow-gpu but that backend is unavailable: tensorflow-gpu: unavailable \(.*tfjs-node-gpu.*CUDA/);
  });
});

describe("the same ViLBERT on wasm and on tensorflow", () => {
  const batch = [...xorMemes({ n: 16, seed: 3 }).batches(16, { shuffleSeed: 3 })][0]!;

  function logits(name: ModelName): Float32Array {
    const model = createModel(name, "tiny", XOR_DIMS, { seed: 11 });
    const inputs = toModelInputs(batch, XOR_DIMS);
    const out = tf.tidy(() => model.logits(inputs, new ForwardContext(false)));
    const values = out.dataSync() as Float32Array;
    tf.dispose(out);
    disposeInputs(inputs);
    model.dispose();
    return values;
  }

  it.each(["vilbert_facebook", "vilbert_hf"] as const)("%s: forward logits agree within 1e-4", async (name) => {
    const onWasm = await on("wasm", () => logits(name));
    const onTf = await on("tensorflow", () => logits(name));
    expect(onWasm).toHaveLength(32); // [16, 2]
    expect(new Set(onWasm).size).toBeGreaterThan(16); // a real forward, not constants
    expect(maxAbsDiff(onWasm, onTf)).toBeLessThan(1e-4);
  });

  function losses(steps: number): number[] {
    const model = createModel("vilbert_hf", "tiny", XOR_DIMS, { seed: 5 });
    const optimizer = new AdamW({ ...ADAMW_DEFAULTS, weightDecay: 0.01 });
    const settings = { loss: { type: "ce" as const, alpha: 0.35, gamma: 2, smoothing: 0.1 }, learningRate: 1e-3, gradientClip: 1 };
    const data = xorMemes({ n: 16 * steps, seed: 5 });
    const out = [...data.batches(16, { shuffleSeed: 5 })].map((b, step) => trainStep(model, optimizer, b, XOR_DIMS, { ...settings, dropoutSeed: step }).loss);
    optimizer.dispose();
    model.dispose();
    return out;
  }

  it("six training steps from the same seed give the same losses (dropout on)", async () => {
    const onWasm = await on("wasm", () => losses(6));
    const onTf = await on("tensorflow", () => losses(6));
    expect(onWasm).toHaveLength(6);
    expect(onWasm[5]).not.toBe(onWasm[0]); // the weights moved
    expect(maxAbsDiff(onWasm, onTf)).toBeLessThan(1e-4);
  });
});

describe("the quickstart on tensorflow", () => {
  let out: string | undefined;
  afterAll(() => out && rm(out, { recursive: true, force: true }));

  it("memeops run trains to test AUROC >= 0.9 and records the backend", async () => {
    out = await mkdtemp(join(tmpdir(), "memeops-qs-tf-"));
    const r = spawnSync("node", ["cli/bin/memeops.mjs", "run", "conf/experiments/quickstart.yaml", "--out", out], {
      env: { ...process.env, MEMEOPS_BACKEND: "tensorflow", TF_CPP_MIN_LOG_LEVEL: "2" },
      encoding: "utf8",
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const results = JSON.parse(await readFile(join(out, "results.json"), "utf8"));
    expect(results.run.backend).toBe("tensorflow");
    expect(results.run.succeeded).toBe(true);
    expect(results.test.auroc).toBeGreaterThanOrEqual(0.9);
  }, 600_000);
});
