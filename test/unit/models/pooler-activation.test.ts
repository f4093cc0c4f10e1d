// The poolers' activation is plain data in the architecture config: presets per architecture, an override, the
// same weights computing different pooled vectors under tanh and ReLU, and a checkpoint that records it (or, written
// before the setting existed, does not: then it reads as tanh, what those checkpoints computed).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { createModel } from "../../../trainer-image/src/models/registry.ts";
import type { Model } from "../../../trainer-image/src/models/model.ts";
import type { FacebookViLBERT } from "../../../trainer-image/src/models/vilbert-facebook.ts";
import { PRESETS as FACEBOOK_PRESETS } from "../../../trainer-image/src/models/vilbert-facebook.ts";
import { PRESETS as HF_PRESETS } from "../../../trainer-image/src/models/vilbert-hf.ts";
import { toModelInputs, disposeInputs } from "../../../trainer-image/src/models/layers/inputs.ts";
import { ForwardContext } from "../../../trainer-image/src/models/layers/context.ts";
import { xorMemes, XOR_DIMS } from "../../../trainer-image/src/training/xor-memes.ts";
import { saveWeightsCheckpoint } from "../../../trainer-image/src/weights/save.ts";
import { modelFromCheckpoint } from "../../../trainer-image/src/training/checkpoint.ts";
import type { LoadReport } from "../../../trainer-image/src/weights/load-plan.ts";
import { useWasm } from "../training/wasm.ts";

beforeAll(useWasm);
const tmp = mkdtempSync(join(tmpdir(), "memeops-pooler-"));
const models: Model[] = [];
afterAll(() => {
  models.forEach((m) => m.dispose());
  rmSync(tmp, { recursive: true, force: true });
});
const keep = (m: Model) => (models.push(m), m);
const batch = [...xorMemes({ n: 6, seed: 9 }).batches(6, {})][0]!;
const logits = (m: Model) => {
  const inputs = toModelInputs(batch, XOR_DIMS);
  const out = tf.tidy(() => Array.from(m.logits(inputs, new ForwardContext(false)).dataSync()));
  disposeInputs(inputs);
  return out;
};
const pooled = (m: Model) => {
  const inputs = toModelInputs(batch, XOR_DIMS);
  const out = tf.tidy(() => (m as FacebookViLBERT).backbone.apply(inputs, new ForwardContext(false)).map((t) => Array.from(t!.dataSync())));
  disposeInputs(inputs);
  return out;
};
const weights = (m: Model) => [...m.params.variables].map(([n, v]) => [n, Array.from(v.dataSync())] as const);
const maxAbs = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

/** a weights-only memeops checkpoint of `m` (what `memeops weights convert` writes; training's reader reads it) */
async function save(m: Model, name: string): Promise<string> {
  const dir = join(tmp, name);
  const report = { targets: [], poolers: { model: m.poolerActivation, checkpoint: null }, warnings: [] } as unknown as LoadReport;
  await saveWeightsCheckpoint(dir, m, { file: "test", sha256: "", layout: "memeops" }, report);
  return dir;
}

describe("pooler activation", () => {
  it("presets: relu for vilbert_facebook (Facebook's published poolers), tanh for vilbert_hf (the quickstart's model)", () => {
    for (const size of ["base", "small", "tiny"] as const) {
      expect(FACEBOOK_PRESETS[size].poolerActivation).toBe("relu");
      expect(HF_PRESETS[size].poolerActivation).toBe("tanh");
    }
    const hf = keep(createModel("vilbert_hf", "tiny", XOR_DIMS, { seed: 1 }));
    const fb = keep(createModel("vilbert_facebook", "tiny", XOR_DIMS, { seed: 1 }));
    expect([hf.poolerActivation, (hf as unknown as FacebookViLBERT).backbone.textPooler!.activation]).toEqual(["tanh", "tanh"]);
    expect([fb.poolerActivation, (fb as FacebookViLBERT).backbone.visualPooler!.activation]).toEqual(["relu", "relu"]);
    expect(hf.architecture.config).toMatchObject({ poolerActivation: "tanh" });
  });

  it("the same weights give different pooled vectors and logits under relu and tanh", () => {
    const tanh = keep(createModel("vilbert_hf", "tiny", XOR_DIMS, { seed: 3 }));
    const relu = keep(createModel("vilbert_hf", "tiny", XOR_DIMS, { seed: 3, poolerActivation: "relu" }));
    expect(relu.architecture.config).toMatchObject({ poolerActivation: "relu", visualFeatureNorm: true });
    expect(weights(relu)).toEqual(weights(tanh));
    const [[tText, tVisual], [rText, rVisual]] = [pooled(tanh), pooled(relu)];
    // relu = max(0, z); tanh squashes z: both come from the same z = Dense(first position)
    expect(Math.min(...rText!, ...rVisual!)).toBe(0);
    expect(rText!.filter((v) => v === 0).length).toBeGreaterThan(0);
    expect(Math.min(...tText!)).toBeLessThan(0);
    expect(Math.max(...tText!.map(Math.abs), ...tVisual!.map(Math.abs))).toBeLessThan(1);
    // z recovered from tanh where it is not saturated (atanh amplifies float32 rounding near +-1)
    const unsaturated = tText!.map((t, i) => [t, rText![i]!] as const).filter(([t]) => Math.abs(t) < 0.99);
    expect(unsaturated.length).toBeGreaterThan(tText!.length / 2);
    for (const [t, r] of unsaturated) expect(r).toBeCloseTo(Math.max(0, Math.atanh(t)), 3);
    expect(maxAbs(logits(relu), logits(tanh))).toBeGreaterThan(1e-3);
  });

  it("a config without poolerActivation (recorded before the setting) reads as tanh and computes what it did", () => {
    const { poolerActivation: _, ...legacy } = FACEBOOK_PRESETS.tiny;
    const old = keep(createModel("vilbert_facebook", "tiny", XOR_DIMS, { seed: 4, config: legacy }));
    const tanh = keep(createModel("vilbert_facebook", "tiny", XOR_DIMS, { seed: 4, poolerActivation: "tanh" }));
    const relu = keep(createModel("vilbert_facebook", "tiny", XOR_DIMS, { seed: 4 }));
    expect(old.poolerActivation).toBe("tanh");
    expect(old.architecture.config).not.toHaveProperty("poolerActivation"); // recorded as given: an old checkpoint still matches
    expect(logits(old)).toEqual(logits(tanh));
    expect(logits(old)).not.toEqual(logits(relu));
  });

  it("a checkpoint records the activation and evaluate's reader rebuilds it; an old-style checkpoint reads as tanh", async () => {
    const relu = keep(createModel("vilbert_hf", "tiny", XOR_DIMS, { seed: 5, poolerActivation: "relu" }));
    const dir = await save(relu, "relu");
    expect(JSON.parse(readFileSync(join(dir, "checkpoint.json"), "utf8")).architecture.config.poolerActivation).toBe("relu");
    const rebuilt = keep((await modelFromCheckpoint(dir)).model);
    expect(rebuilt.poolerActivation).toBe("relu");
    expect(logits(rebuilt)).toEqual(logits(relu));

    const tanh = keep(createModel("vilbert_facebook", "tiny", XOR_DIMS, { seed: 6, poolerActivation: "tanh" }));
    const oldDir = await save(tanh, "old-style");
    const manifest = JSON.parse(readFileSync(join(oldDir, "checkpoint.json"), "utf8"));
    delete manifest.architecture.config.poolerActivation; // as written before the setting existed
    writeFileSync(join(oldDir, "checkpoint.json"), JSON.stringify(manifest));
    const old = keep((await modelFromCheckpoint(oldDir)).model);
    expect(old.poolerActivation).toBe("tanh");
    expect(logits(old)).toEqual(logits(tanh));
  });
});
