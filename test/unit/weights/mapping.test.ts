// Every tensor of each published layout lands where it belongs (or is skipped with its reason); shapes, missing
// and unexpected tensors are errors unless a partial load is allowed, and then the report names what stayed initial.
import { describe, expect, it } from "vitest";
import { openCheckpoint } from "../../../trainer-image/src/weights/open-checkpoint.ts";
import { loadInto, WeightsLoadError } from "../../../trainer-image/src/weights/load.ts";
import { count, loadProblems, notLoaded, type LoadReport } from "../../../trainer-image/src/weights/load-plan.ts";
import type { CheckpointFile } from "../../../trainer-image/src/weights/tensors.ts";
import { createModel } from "../../../trainer-image/src/models/registry.ts";
import type { ModelName } from "../../../trainer-image/src/models/model.ts";
import { fixture, fixtureDims, fixtureModel } from "./fixtures.ts";

const statuses = (r: LoadReport) => ({
  mapped: count(r.sources, "mapped"), skipped: count(r.sources, "skipped"), unexpected: count(r.sources, "unexpected"),
  wrongShape: count(r.sources, "wrong-shape"), loaded: count(r.targets, "loaded"), missing: count(r.targets, "missing"),
  notInCheckpoint: count(r.targets, "not-in-checkpoint"),
});

async function load(name: string, model: ModelName) {
  const m = fixtureModel(model);
  const file = await openCheckpoint(fixture(name));
  return { model: m, file, report: loadInto(m, file) };
}

/** the checkpoint value of a model parameter, as the model stores it (kernels transposed) */
function expectLoaded(r: LoadReport, file: CheckpointFile, m: ReturnType<typeof fixtureModel>) {
  for (const s of r.sources.filter((e) => e.status === "mapped")) {
    const src = file.tensors.get(s.name)!.read();
    const got = m.params.variables.get(s.target!)!.dataSync();
    if (s.transpose) {
      const [rows, cols] = s.shape as [number, number];
      for (const [i, j] of [[0, 0], [rows - 1, 0], [0, cols - 1], [rows - 1, cols - 1], [rows >> 1, cols >> 1]] as const) {
        expect(got[j * rows + i], `${s.name}[${i},${j}]`).toBe(src[i * cols + j]);
      }
    } else {
      expect(Array.from(got), s.name).toEqual(Array.from(src));
    }
  }
}

describe("published layouts -> memeops models", () => {
  it("Facebook ViLBERT (pretrained_model.bin layout, legacy and zip) fills all of vilbert_facebook but its head", async () => {
    for (const name of ["vilbert-facebook-legacy.bin", "vilbert-facebook-zip.bin"]) {
      const { model, file, report } = await load(name, "vilbert_facebook");
      expect(report.layout).toBe("vilbert_facebook");
      // 113 = 95 mapped + 14 cls.* + 4 biOutput.q_dense{1,2}.{weight,bias}
      expect(statuses(report)).toEqual({ mapped: 95, skipped: 18, unexpected: 0, wrongShape: 0, loaded: 95, missing: 0, notInCheckpoint: 4 });
      expect(report.sources.filter((s) => s.status === "skipped").every((s) => /^cls\.|\.biOutput\.q_dense[12]\./.test(s.name) && s.reason)).toBe(true);
      expect(notLoaded(report).map((t) => t.name)).toEqual(["classifier.dense.kernel", "classifier.dense.bias", "classifier.out_proj.kernel", "classifier.out_proj.bias"]);
      expectLoaded(report, file, model);
      model.dispose();
    }
  });

  it("the community ViLBERT layout (VILBertForVLTasks, zip and safetensors) fills vilbert_hf but its answer layer", async () => {
    for (const name of ["vilbert-hf-zip.bin", "vilbert-hf.safetensors"]) {
      const { model, file, report } = await load(name, "vilbert_hf");
      expect(report.layout).toBe("vilbert_hf");
      expect(statuses(report)).toEqual({ mapped: 99, skipped: 40, unexpected: 0, wrongShape: 0, loaded: 99, missing: 0, notInCheckpoint: 4 });
      const skipped = new Map(report.sources.filter((s) => s.status === "skipped").map((s) => [s.name, s.reason]));
      expect(skipped.get("vil_prediction.logit_fc.3.weight")).toMatch(/answer layer/);
      expect(skipped.get("vil_logit.weight")).toMatch(/task head/);
      expect(notLoaded(report).map((t) => t.name).sort()).toEqual([
        "bert.v_embeddings.image_embeddings_LayerNorm.bias", "bert.v_embeddings.image_embeddings_LayerNorm.weight",
        "vil_prediction.logit_fc.3.bias", "vil_prediction.logit_fc.3.kernel",
      ]);
      expectLoaded(report, file, model);
      model.dispose();
    }
  });

  it("bert-base-uncased (BertForPreTraining legacy, BertModel zip and safetensors) fills the text stream of either model", async () => {
    for (const [name, modelName] of [["bert-pretraining-legacy.bin", "vilbert_facebook"], ["bert-model-zip.bin", "vilbert_hf"], ["bert-model.safetensors", "vilbert_facebook"]] as const) {
      const { model, file, report } = await load(name, modelName);
      expect(report.layout).toBe("bert");
      expect(count(report.sources, "mapped")).toBe(37); // embeddings (5) + 2 layers x 16
      expect(count(report.sources, "unexpected") + count(report.sources, "wrong-shape") + count(report.targets, "missing")).toBe(0);
      const loaded = report.targets.filter((t) => t.status === "loaded").map((t) => t.name);
      expect(loaded.every((n) => /^bert\.(embeddings|encoder\.layer\.\d)\./.test(n))).toBe(true);
      expect(report.sources.find((s) => s.name.endsWith("pooler.dense.weight"))?.status).toBe("skipped");
      expectLoaded(report, file, model);
      model.dispose();
    }
  });

  it("a shape that differs is an error naming the tensor, the parameter and both shapes", async () => {
    // the tiny preset has BERT's full vocabulary (30522) and 512 positions; the fixture has 99 and 40
    const model = createModel("vilbert_facebook", "tiny", fixtureDims);
    const file = await openCheckpoint(fixture("bert-model-zip.bin"));
    expect(() => loadInto(model, file)).toThrow(
      /wrong shape: embeddings\.word_embeddings\.weight \[99, 32\]: bert\.embeddings\.word_embeddings\.weight is \[30522, 64\] in vilbert_facebook\/tiny/,
    );
    model.dispose();
  });

  it("missing tensors are an error unless allowPartial; then exactly those stay at their initial values", async () => {
    const full = await openCheckpoint(fixture("vilbert-facebook-zip.bin"));
    const dropped = ["bert.encoder.c_layer.0.biattention.key2.weight", "bert.v_pooler.dense.bias"];
    const partial: CheckpointFile = { ...full, tensors: new Map([...full.tensors].filter(([k]) => !dropped.includes(k))) };
    const model = fixtureModel("vilbert_facebook", 5);
    const before = model.params.variables.get("bert.v_pooler.dense.bias")!.dataSync().slice();
    const error = (() => { try { loadInto(model, partial); } catch (e) { return e as WeightsLoadError; } })();
    expect(error).toBeInstanceOf(WeightsLoadError);
    expect(error!.message).toMatch(/2 problem\(s\); set model\.initialWeights\.allowPartial/);
    expect(error!.message).toMatch(/missing: bert\.encoder\.c_layer\.0\.biattention\.key2\.kernel \[32, 32\]/);
    // nothing was written by the refused load
    expect(model.params.variables.get("bert.embeddings.word_embeddings.weight")!.dataSync()[0]).not.toBe(full.tensors.get("bert.embeddings.word_embeddings.weight")!.read()[0]);
    const report = loadInto(model, partial, { allowPartial: true });
    expect(loadProblems(report)).toHaveLength(2);
    expect(report.targets.filter((t) => t.status === "missing").map((t) => t.name)).toEqual(["bert.encoder.c_layer.0.biattention.key2.kernel", "bert.v_pooler.dense.bias"]);
    expect(Array.from(model.params.variables.get("bert.v_pooler.dense.bias")!.dataSync())).toEqual(Array.from(before));
    model.dispose();
  });

  it("a tensor the layout does not know is an error; a file nothing maps from is an error even with allowPartial", async () => {
    const full = await openCheckpoint(fixture("bert-model-zip.bin"));
    const extra: CheckpointFile = { ...full, tensors: new Map([...full.tensors, ["encoder.layer.0.adapter.weight", { ...full.tensors.get("pooler.dense.weight")!, name: "encoder.layer.0.adapter.weight" }]]) };
    const model = fixtureModel("vilbert_facebook");
    expect(() => loadInto(model, extra)).toThrow(/unexpected tensor encoder\.layer\.0\.adapter\.weight \[32, 32\]: layout bert does not know this tensor/);
    const onlyHeads: CheckpointFile = { ...full, tensors: new Map([...full.tensors].filter(([k]) => k.startsWith("pooler") || k === "encoder.layer.0.attention.self.query.weight")) };
    onlyHeads.tensors.delete("encoder.layer.0.attention.self.query.weight");
    onlyHeads.tensors.set("encoder.layer.9.odd.weight", { ...full.tensors.get("pooler.dense.weight")!, name: "encoder.layer.9.odd.weight" });
    expect(() => loadInto(model, onlyHeads, { allowPartial: true })).toThrow(/not one of its 3 tensors maps to vilbert_facebook\/tiny/);
    model.dispose();
  });
});
