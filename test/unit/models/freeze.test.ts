// training.freeze: a frozen part's cached output gives exactly the logits and gradients of running it each step
// (without dropout), frozen weights never change while the rest trains, and a part past the first co-attention
// layer, or of a stream the model lacks, is refused naming the field.
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { createModel } from "../../../trainer-image/src/models/registry.ts";
import { PRESETS } from "../../../trainer-image/src/models/vilbert-facebook.ts";
import { PRESETS as HF_PRESETS } from "../../../trainer-image/src/models/vilbert-hf.ts";
import { stream } from "../../../trainer-image/src/models/layers/vilbert-backbone.ts";
import { ForwardContext } from "../../../trainer-image/src/models/layers/context.ts";
import { disposeInputs, toModelInputs } from "../../../trainer-image/src/models/layers/inputs.ts";
import { paramNameOf } from "../../../trainer-image/src/models/layers/params.ts";
import type { Model, ModelName } from "../../../trainer-image/src/models/model.ts";
import { FrozenOutputSource } from "../../../trainer-image/src/training/frozen-cache.ts";
import { lossFn } from "../../../trainer-image/src/common/losses.ts";
import { train } from "../../../trainer-image/src/training/loop.ts";
import { xorMemes, XOR_DIMS } from "../../../trainer-image/src/training/xor-memes.ts";
import type { Batch } from "../../../trainer-image/src/common/batch.ts";
import { trainingSpec } from "../../../api/v1alpha1/spec.ts";
import { useWasm } from "../training/wasm.ts";

beforeAll(useWasm);
const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

// 3 text layers with co-attention after the first 2, 2 visual layers with co-attention after the first one
const SHAPE = {
  text: stream(3, 32, 2, 64), visual: stream(2, 32, 2, 64),
  bi: { biHidden: 32, biHeads: 2, attentionDropout: 0.1 }, tBiattentionId: [2], vBiattentionId: [1],
};
const CONFIG = { vilbert_facebook: { ...PRESETS.tiny, ...SHAPE, headHidden: 32 }, vilbert_hf: { ...HF_PRESETS.tiny, ...SHAPE } };
const build = (name: ModelName = "vilbert_facebook", seed = 3, extra: object = {}) => {
  const m = createModel(name, "tiny", XOR_DIMS, { seed, config: { ...CONFIG[name], ...extra } });
  models.push(m);
  return m;
};
const batchOf = (n: number, seed: number): Batch => [...xorMemes({ n, seed }).batches(n, {})][0]!;

/** Loss and gradients of the trainable weights in training mode (dropout on, seeded). */
function lossAndGrads(m: Model, batch: Batch) {
  const inputs = toModelInputs(batch, XOR_DIMS);
  const labels = tf.tensor1d(batch.labels, "int32");
  const trainable = [...m.params.variables.values()].filter((v) => v.trainable);
  const { value, grads } = tf.variableGrads(() => lossFn({ type: "ce", alpha: 0.35, gamma: 2, smoothing: 0.1 }, m.logits(inputs, new ForwardContext(true, 99)), labels), trainable);
  const out = { loss: value.dataSync()[0]!, grads: new Map(Object.entries(grads).map(([k, g]) => [paramNameOf(k), g.dataSync().slice() as Float32Array])) };
  tf.dispose([value, labels, ...Object.values(grads)]);
  disposeInputs(inputs);
  return out;
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe("training.freeze", () => {
  for (const name of ["vilbert_facebook", "vilbert_hf"] as const) {
    it(`${name}: cached frozen outputs give the same loss and gradients as running the frozen layers`, async () => {
      const m = build(name);
      m.freeze({ text: 2, visual: 1 });
      const batch = batchOf(8, 5);
      const direct = lossAndGrads(m, batch);
      const cached = [...(await FrozenOutputSource.build(m, xorMemes({ n: 8, seed: 5 }), 3)).batches(8, {})][0]!;
      expect(cached.textHidden!.length).toBe(8 * XOR_DIMS.T * 32);
      expect(cached.visualHidden!.length).toBe(8 * (XOR_DIMS.R + 1) * 32);
      const fromCache = lossAndGrads(m, cached);
      expect(Math.abs(direct.loss - fromCache.loss)).toBeLessThan(1e-6);
      expect([...fromCache.grads.keys()].sort()).toEqual([...direct.grads.keys()].sort());
      // only the trainable part has gradients: nothing of the embeddings or the frozen layers
      expect([...direct.grads.keys()].filter((k) => /^bert\.(embeddings|v_embeddings|encoder\.layer\.[01]\.|encoder\.v_layer\.0\.)/.test(k))).toEqual([]);
      expect(direct.grads.has("bert.encoder.layer.2.output.dense.kernel")).toBe(true);
      expect(direct.grads.has("bert.encoder.v_layer.1.output.dense.kernel")).toBe(true);
      for (const [k, g] of direct.grads) expect(maxDiff(g, fromCache.grads.get(k)!), k).toBeLessThan(1e-5);

      // the comparison can fail: a cache made by other frozen weights gives another loss
      const other = build(name, 4);
      other.freeze({ text: 2, visual: 1 });
      const foreign = [...(await FrozenOutputSource.build(other, xorMemes({ n: 8, seed: 5 }), 8)).batches(8, {})][0]!;
      expect(Math.abs(lossAndGrads(m, foreign).loss - direct.loss)).toBeGreaterThan(1e-4);
    });
  }

  it("frozen weights stay bitwise equal through training while the rest moves; the checkpoint records the freeze", async () => {
    const m = build();
    m.freeze({ text: 1, visual: null });
    const before = new Map([...m.params.variables].map(([k, v]) => [k, v.dataSync().slice() as Float32Array]));
    const dir = await mkdtemp(join(tmpdir(), "memeops-freeze-"));
    const events: string[] = [];
    try {
      await train({
        model: m, train: xorMemes({ n: 32, seed: 1 }), validation: xorMemes({ n: 16, seed: 2 }), checkpointDir: dir,
        training: trainingSpec.parse({ epochs: 2, batchSize: 8, learningRate: 1e-2, warmupSteps: 0, seed: 1 }),
        onEvent: (e) => events.push(e.type),
      });
      let frozen = 0;
      let moved = 0;
      for (const [k, v] of m.params.variables) {
        const same = maxDiff(v.dataSync() as Float32Array, before.get(k)!) === 0;
        if (/^bert\.(embeddings\.|encoder\.layer\.0\.)/.test(k)) {
          expect(same, `${k} is frozen`).toBe(true);
          frozen++;
        } else if (!same) moved++;
      }
      expect(frozen).toBeGreaterThan(10);
      expect(moved).toBeGreaterThan(20); // the visual embeddings, text layers 1-2, co-attention, poolers, head
      expect(events.slice(0, 2)).toEqual(["frozen_cache", "start"]);
      const epoch = (await readdir(dir)).find((d) => d.startsWith("epoch-"))!;
      const manifest = JSON.parse(await readFile(join(dir, epoch, "checkpoint.json"), "utf8"));
      expect(manifest.frozen).toEqual({ text: 1, visual: null });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the disk cache: a second build reads the same values; other frozen weights or inputs are another key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "memeops-frozen-cache-"));
    try {
      const m = build();
      m.freeze({ text: 2, visual: null });
      const split = () => xorMemes({ n: 12, seed: 6 });
      const first = await FrozenOutputSource.build(m, split(), 5, dir);
      const again = await FrozenOutputSource.build(m, split(), 4, dir);
      expect([first.fromDisk, again.fromDisk]).toEqual([false, true]);
      const values = (s: FrozenOutputSource) => [...s.batches(12, {})][0]!.textHidden!;
      expect(maxDiff(values(first), values(again))).toBe(0);
      expect((await readdir(dir)).length).toBe(2); // the values and their description
      // another sample set, or a changed frozen weight: computed afresh
      expect((await FrozenOutputSource.build(m, xorMemes({ n: 12, seed: 7 }), 4, dir)).fromDisk).toBe(false);
      const word = m.params.variables.get("bert.embeddings.word_embeddings.weight")!;
      tf.tidy(() => word.assign(word.mul(1.01)));
      const changed = await FrozenOutputSource.build(m, split(), 4, dir);
      expect(changed.fromDisk).toBe(false);
      expect(maxDiff(values(changed), values(first))).toBeGreaterThan(1e-4);
      // a trainable weight is not part of the key: still a hit
      const head = m.params.variables.get("classifier.dense.kernel")!;
      tf.tidy(() => head.assign(head.mul(2)));
      expect((await FrozenOutputSource.build(m, split(), 4, dir)).fromDisk).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a frozen part past the first co-attention layer, or of a stream the model lacks, naming the field", () => {
    const m = build();
    expect(() => m.freeze({ text: 3, visual: null })).toThrow(
      /training\.freeze\.textLayers 3: vilbert_facebook\/tiny's text stream can freeze at most 2 of its 3 layers: its first co-attention layer follows text layer 1/,
    );
    expect(() => m.freeze({ text: null, visual: 2 })).toThrow(/training\.freeze\.visualLayers 2: .* at most 1 of its 2 layers/);
    const textOnly = build("vilbert_facebook", 3, { modalities: ["text"] });
    textOnly.freeze({ text: 3, visual: null }); // no co-attention: the whole text stream may be frozen
    expect(textOnly.params.count().trainable).toBeLessThan(textOnly.params.count().total);
    expect(() => textOnly.freeze({ text: 1, visual: 0 })).toThrow(/training\.freeze\.visualLayers 0: .* has no visual stream \(model\.modalities has no image\)/);
  });
});
