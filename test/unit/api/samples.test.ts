// Every shipped sample is a valid MemeExperiment, and the documented defaults are what the runtime applies.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadExperimentFiles, loadOneExperiment } from "../../../api/load.ts";

const dir = "conf/experiments";
const samples = readdirSync(dir).filter((f) => f.endsWith(".yaml"));

describe("conf/experiments samples", () => {
  it("cover the original project's pipelines and the quickstart", () => {
    expect(samples).toEqual(
      expect.arrayContaining([
        "quickstart.yaml",
        "train-hf-resnet.yaml",
        "train-facebook-frcnn.yaml",
        "train-facebook-frcnn-vg.yaml",
        "evaluate-local.yaml",
        "predict-pretrained.yaml",
        "predict-local.yaml",
      ]),
    );
  });

  it.each(samples)("%s is valid", async (file) => {
    const [doc, ...more] = await loadExperimentFiles([`${dir}/${file}`]);
    expect(more).toEqual([]);
    expect(doc?.problems).toEqual([]);
  });

  it("the evaluate and predict samples start from weights, and the local ones name their training experiment", async () => {
    const evaluate = await loadOneExperiment(`${dir}/evaluate-local.yaml`);
    const train = await loadOneExperiment(`${dir}/train-facebook-frcnn.yaml`);
    expect(evaluate.spec.model.initialWeights?.fromExperiment).toBe(train.metadata.name);
    const predict = await loadOneExperiment(`${dir}/predict-local.yaml`);
    const trainHf = await loadOneExperiment(`${dir}/train-hf-resnet.yaml`);
    expect(predict.spec.model.initialWeights?.fromExperiment).toBe(trainHf.metadata.name);
  });
});

describe("conf/sweeps samples", () => {
  it.each(readdirSync("conf/sweeps").filter((f) => f.endsWith(".yaml")))("%s is a valid MemeSweep", async (file) => {
    const [doc, ...more] = await loadExperimentFiles([`conf/sweeps/${file}`]);
    expect(more).toEqual([]);
    expect(doc?.problems).toEqual([]);
    expect(doc?.sweep?.kind).toBe("MemeSweep");
  });
});

describe("defaults", () => {
  it("are the original project's settings (Facebook MMF baseline) for what a spec leaves out", async () => {
    const { spec } = await loadOneExperiment(`${dir}/train-facebook-frcnn.yaml`);
    expect(spec.training).toMatchObject({
      epochs: 20,
      batchSize: 32,
      learningRate: 5e-5,
      weightDecay: 0.01,
      warmupSteps: 2000,
      gradientClip: 1,
      seed: 42,
      maxSequenceLength: 128,
      loss: { type: "ce", alpha: 0.35, gamma: 2, smoothing: 0.1 },
      earlyStopping: { patience: 5, metric: "val_auroc" },
    });
    expect(spec.features.detector).toEqual({ scoreThreshold: 0.2, nmsThreshold: 0.3 });
    expect(spec.dataset.splits).toEqual({ train: "train", validation: "validation", test: "test" });
    expect(spec.dataset.text).toEqual({ lowercase: true, maxChars: 512 });
    expect(spec.dataset.captions).toEqual({ enabled: false, maxTokens: 30 });
    expect(spec.checks).toEqual({ enforce: true, minAuroc: 0.5, minPredictions: 1, minClasses: 2 });
    expect(spec.resources).toEqual({ gpus: 1, cpu: "4", memory: "16Gi" }); // GPU resource: the operator's setting
    expect(spec.runtime).toEqual({ backoffLimit: 0 });
    expect(spec.suspend).toBe(false);
    expect(spec.mode).toBe("train");
  });

  it("fill a minimal spec completely", async () => {
    const minimal = `apiVersion: memeops.io/v1alpha1\nkind: MemeExperiment\nmetadata: {name: m}\nspec:\n  dataset: {source: {synthetic: {}}}\n`;
    const { loadExperimentsFromText } = await import("../../../api/load.ts");
    const [doc] = loadExperimentsFromText(minimal, "minimal.yaml");
    expect(doc?.problems).toEqual([]);
    const spec = doc!.experiment!.spec;
    expect(spec.dataset.source.synthetic).toEqual({ count: 512, seed: 7, imageSize: 64 });
    expect(spec.features).toEqual({ extractor: "resnet", regions: 36 });
    expect(spec.model).toEqual({ name: "vilbert_facebook", size: "base", modalities: ["text", "image"] });
    expect(spec.dataset.storage).toEqual({ path: "/var/lib/memeops" });
  });
});
