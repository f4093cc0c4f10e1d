// Which activation the loaded poolers run with, against what Facebook's files were trained with (ReLU), and the
// community hub files, which are Facebook's files: the report says it, a mismatch is a warning, and the pooled
// output of the Facebook fixture's poolers is nn.Linear + nn.ReLU computed from the file's own tensors.
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { openCheckpoint } from "../../../trainer-image/src/weights/open-checkpoint.ts";
import { loadInto, WeightsLoadError } from "../../../trainer-image/src/weights/load.ts";
import { count, reportLines, summaryLine } from "../../../trainer-image/src/weights/load-plan.ts";
import { saveWeightsCheckpoint } from "../../../trainer-image/src/weights/save.ts";
import type { CheckpointFile } from "../../../trainer-image/src/weights/tensors.ts";
import { createModel } from "../../../trainer-image/src/models/registry.ts";
import type { ModelName, PoolerActivation } from "../../../trainer-image/src/models/model.ts";
import type { FacebookViLBERT } from "../../../trainer-image/src/models/vilbert-facebook.ts";
import { FIXTURE_CONFIG, fixture, fixtureDims, maxAbsDiff } from "./fixtures.ts";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const model = (name: ModelName, poolerActivation?: PoolerActivation, seed = 1) =>
  createModel(name, "tiny", fixtureDims, { seed, config: FIXTURE_CONFIG[name], ...(poolerActivation ? { poolerActivation } : {}) });

/** torch's nn.Linear (y = x W^T + b, W stored [out, in]) then the activation, in float64 from the file's tensors */
function torchPooler(file: CheckpointFile, prefix: string, first: number[][], act: PoolerActivation): number[] {
  const w = file.tensors.get(`${prefix}.dense.weight`)!;
  const [out, inn] = w.shape as [number, number];
  const [W, b] = [w.read(), file.tensors.get(`${prefix}.dense.bias`)!.read()];
  return first.flatMap((x) => Array.from({ length: out }, (_, o) => {
    let z = b[o]!;
    for (let i = 0; i < inn; i++) z += x[i]! * W[o * inn + i]!;
    return act === "relu" ? Math.max(0, z) : Math.tanh(z);
  }));
}

describe("pooler activation of a load", () => {
  it("Facebook's file into vilbert_facebook (relu, the default): poolers as trained, no warning", async () => {
    const m = model("vilbert_facebook");
    const report = loadInto(m, await openCheckpoint(fixture("vilbert-facebook-zip.bin")));
    expect(report.poolers).toEqual({ model: "relu", checkpoint: "relu", source: expect.stringMatching(/vilbert-multi-task vilbert\/vilbert\.py BertTextPooler\/BertImagePooler/) });
    expect(report.warnings).toEqual([]);
    expect(summaryLine(report)).toMatch(/; poolers relu \(as trained\)$/);
    m.dispose();
  });

  it("into tanh poolers: the load goes ahead with a warning in the report, the log line and inspect's output", async () => {
    for (const name of ["vilbert_facebook", "vilbert_hf"] as const) {
      const m = model(name, "tanh");
      const report = loadInto(m, await openCheckpoint(fixture("vilbert-facebook-legacy.bin")));
      expect(count(report.targets, "missing")).toBe(0);
      expect(report.poolers).toMatchObject({ model: "tanh", checkpoint: "relu" });
      expect(report.warnings).toHaveLength(1);
      expect(report.warnings[0]).toMatch(new RegExp(`trained with relu .*; ${name}/tiny applies tanh, .*model\\.poolerActivation: relu`));
      expect(summaryLine(report)).toMatch(/poolers tanh \(trained with relu\)\nWARNING: bert\.t_pooler and bert\.v_pooler were trained with relu/);
      expect(reportLines(report)[1]).toMatch(/^WARNING: /);
      m.dispose();
    }
  });

  it("a BERT file gives the poolers nothing: no trained activation, no warning", async () => {
    const m = model("vilbert_hf");
    const report = loadInto(m, await openCheckpoint(fixture("bert-model-zip.bin")));
    expect(report.poolers).toEqual({ model: "tanh", checkpoint: null });
    expect(report.warnings).toEqual([]);
    m.dispose();
  });

  it("the Facebook fixture's poolers compute nn.Linear + nn.ReLU (tanh when asked) of the file's own weights", async () => {
    const file = await openCheckpoint(fixture("vilbert-facebook-zip.bin"));
    // hidden states [B=2, L=3, H=32] for each stream; the poolers read position 0
    const hidden = (shift: number) => Array.from({ length: 2 }, (_, b) => Array.from({ length: 3 }, (_, l) =>
      Array.from({ length: 32 }, (_, i) => Math.sin(0.7 * i + 1.3 * b + 2.1 * l + shift))));
    for (const act of ["relu", "tanh"] as const) {
      const m = model("vilbert_facebook", act) as FacebookViLBERT;
      loadInto(m, file);
      for (const [pooler, prefix, shift] of [[m.backbone.textPooler, "bert.t_pooler", 0], [m.backbone.visualPooler, "bert.v_pooler", 0.5]] as const) {
        const h = hidden(shift);
        const got = tf.tidy(() => Array.from(pooler!.apply(tf.tensor3d(h)).dataSync()));
        const want = torchPooler(file, prefix, h.map((rows) => rows[0]!), act);
        expect(maxAbsDiff(got, want), `${act} ${prefix}`).toBeLessThan(1e-5);
        if (act === "relu") expect(want.some((v) => v === 0) && want.some((v) => v > 0)).toBe(true); // both sides of ReLU
      }
      m.dispose();
    }
  });
});

describe("the community ViLBERT files (Facebook's files on the hub)", () => {
  it("transformers4vl-vilbert is pretrained_model.bin: into vilbert_hf, bert.* loads, cls.* is skipped, the head starts fresh", async () => {
    const m = model("vilbert_hf");
    const report = loadInto(m, await openCheckpoint(fixture("vilbert-facebook-zip.bin")));
    expect(report.layout).toBe("vilbert_hf");
    expect(count(report.sources, "unexpected") + count(report.targets, "missing")).toBe(0);
    expect(report.targets.filter((t) => t.status !== "loaded").map((t) => t.name).sort()).toEqual([
      "bert.v_embeddings.image_embeddings_LayerNorm.bias", "bert.v_embeddings.image_embeddings_LayerNorm.weight",
      "vil_prediction.logit_fc.0.bias", "vil_prediction.logit_fc.0.kernel", "vil_prediction.logit_fc.2.bias",
      "vil_prediction.logit_fc.2.weight", "vil_prediction.logit_fc.3.bias", "vil_prediction.logit_fc.3.kernel",
    ]);
    expect(report.warnings).toHaveLength(1); // vilbert_hf's tanh poolers vs the file's ReLU-trained ones
    m.dispose();
  });

  it("the multi-task file's task tokens (bert.embeddings.task_embeddings, task_specific_tokens) are skipped with the reason", async () => {
    const full = await openCheckpoint(fixture("vilbert-hf-zip.bin"));
    const like = full.tensors.get("bert.embeddings.token_type_embeddings.weight")!;
    const name = "bert.embeddings.task_embeddings.weight";
    const file: CheckpointFile = { ...full, tensors: new Map([...full.tensors, [name, { ...like, name, shape: [20, like.shape[1]!] }]]) };
    for (const modelName of ["vilbert_hf", "vilbert_facebook"] as const) {
      const m = model(modelName);
      const report = loadInto(m, file);
      expect(report.sources.find((s) => s.name === name)).toMatchObject({ status: "skipped", reason: expect.stringMatching(/task_specific_tokens/) });
      m.dispose();
    }
  });
});

describe("memeops checkpoints keep their activation", () => {
  it("a relu checkpoint does not load into tanh poolers; one written before the setting loads into tanh ones", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "memeops-poolers-"));
    try {
      const relu = model("vilbert_hf", "relu");
      const report = loadInto(relu, await openCheckpoint(fixture("vilbert-hf.safetensors")));
      const dir = join(tmp, "relu");
      await saveWeightsCheckpoint(dir, relu, { file: "vilbert-hf.safetensors", sha256: "", layout: report.layout }, report);
      expect(JSON.parse(readFileSync(join(dir, "checkpoint.json"), "utf8")).converted).toMatchObject({ poolers: { model: "relu", checkpoint: "relu" }, warnings: [] });
      const tanh = model("vilbert_hf", "tanh");
      await expect(openCheckpoint(dir).then((f) => loadInto(tanh, f))).rejects.toThrow(WeightsLoadError);
      await expect(openCheckpoint(dir).then((f) => loadInto(tanh, f))).rejects.toThrow(/config \(size tiny vs tiny\) differs in poolerActivation/);

      const manifest = JSON.parse(readFileSync(join(dir, "checkpoint.json"), "utf8"));
      delete manifest.architecture.config.poolerActivation; // an old checkpoint: reads as tanh
      writeFileSync(join(dir, "checkpoint.json"), JSON.stringify(manifest));
      expect(loadInto(tanh, await openCheckpoint(dir)).targets.every((t) => t.status === "loaded")).toBe(true);
      await expect(openCheckpoint(dir).then((f) => loadInto(relu, f))).rejects.toThrow(/differs in poolerActivation/);
      relu.dispose();
      tanh.dispose();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
