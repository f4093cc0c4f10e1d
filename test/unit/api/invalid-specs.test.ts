// Bad input is rejected with the field in the message, by the runtime (memeops validate) and by the same rule in the
// generated CRD schema.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadExperimentsFromText } from "../../../api/load.ts";
import { memeExperimentCrd } from "../../../api/v1alpha1/crd.ts";
import { serverEmulator } from "./server-emulation.ts";

const base = {
  apiVersion: "memeops.io/v1alpha1",
  kind: "MemeExperiment",
  metadata: { name: "bad" },
  spec: { dataset: { source: { synthetic: {} } }, features: { extractor: "pixels", regions: 16 } },
};
const server = serverEmulator(memeExperimentCrd().spec.versions[0]!.schema.openAPIV3Schema.properties.spec);

/** [what, YAML patch merged into spec, field the error must name, words the message must contain] */
const cases: [string, Record<string, unknown>, string, string][] = [
  ["negative learning rate", { training: { learningRate: -1 } }, "spec.training.learningRate", ">0"],
  ["zero epochs", { training: { epochs: 0 } }, "spec.training.epochs", ">=1"],
  ["batch size as text", { training: { batchSize: "32" } }, "spec.training.batchSize", "expected number"],
  ["unknown extractor", { features: { extractor: "vgg16" } }, "spec.features.extractor", "expected one of"],
  ["unknown model", { model: { name: "bert" } }, "spec.model.name", "expected one of"],
  ["unknown loss", { training: { loss: { type: "mse" } } }, "spec.training.loss.type", "expected one of"],
  ["unknown field", { training: { learning_rate: 0.1 } }, "spec.training.learning_rate", "unknown field"],
  ["regions not a square for a grid", { features: { extractor: "resnet", regions: 30 } }, "spec.features.regions", "perfect square"],
  ["a grid finer than the model's 7x7 map", { features: { extractor: "efficientnet", regions: 64 } }, "spec.features.regions", "at most 49"],
  ["too many regions", { features: { extractor: "fasterrcnn", regions: 500 } }, "spec.features.regions", "<=144"],
  ["detector settings on a grid extractor", { features: { extractor: "clip", regions: 49, detector: { scoreThreshold: 0.5 } } }, "spec.features.detector", "only to the fasterrcnn"],
  ["two dataset sources", { dataset: { source: { synthetic: {}, directory: { path: "/d" } } } }, "spec.dataset.source", "exactly one"],
  ["no dataset source", { dataset: { source: { synthetic: undefined } } }, "spec.dataset.source", "exactly one"],
  ["a modality twice", { model: { modalities: ["text", "text"] } }, "spec.model.modalities", "at most once"],
  ["no modality", { model: { modalities: [] } }, "spec.model.modalities", ">=1"],
  ["frozen text layers without a text stream", { model: { modalities: ["image"] }, training: { freeze: { textLayers: 2 } } }, "spec.training.freeze.textLayers", "needs a text stream"],
  ["frozen visual layers without a visual stream", { model: { modalities: ["text"] }, training: { freeze: { visualLayers: 0 } } }, "spec.training.freeze.visualLayers", "needs a visual stream"],
  ["evaluate without weights", { mode: "evaluate" }, "spec.model", "initialWeights is required"],
  ["weights from two places", { model: { initialWeights: { uri: "/w.bin", fromExperiment: "a" } } }, "spec.model.initialWeights", "exactly one"],
  ["captions without a model", { dataset: { source: { synthetic: {} }, captions: { enabled: true } } }, "spec.dataset.captions.model", "required when captions"],
  ["bad quantity", { resources: { cpu: "lots" } }, "spec.resources.cpu", "quantity"],
  ["smoothing of 1", { training: { loss: { smoothing: 1 } } }, "spec.training.loss.smoothing", "<1"],
  ["relative weights path", { model: { initialWeights: { uri: "weights/x.bin" } } }, "spec.model.initialWeights.uri", "URI"],
  ["uppercase experiment reference", { model: { initialWeights: { fromExperiment: "Train_A" } } }, "spec.model.initialWeights.fromExperiment", "DNS-1123"],
  ["negative GPUs", { resources: { gpus: -1 } }, "spec.resources.gpus", ">=0"],
  ["an image folder outside the dataset", { dataset: { source: { synthetic: {} }, layout: { images: "../images" } } }, "spec.dataset.layout.images", "relative path inside the dataset"],
  ["a label field that is not a path", { dataset: { source: { synthetic: {} }, layout: { fields: { label: "labels[first]" } } } }, "spec.dataset.layout.fields.label", "field path"],
  ["a class mapped to 2", { dataset: { source: { synthetic: {} }, layout: { labels: { "very harmful": 2 } } } }, "spec.dataset.layout.labels.very harmful", "<=1"],
  ["a dropped fraction above 1", { dataset: { source: { synthetic: {} }, maxDroppedFraction: 1.5 } }, "spec.dataset.maxDroppedFraction", "<=1"],
];

function merge(a: any, b: any): any {
  if (b && typeof b === "object" && !Array.isArray(b) && a && typeof a === "object") {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = merge(a[k], v);
    return out;
  }
  return b;
}

describe("invalid specs", () => {
  it.each(cases)("%s: rejected naming the field", (_what, patch, field, words) => {
    const doc = merge(base, { spec: patch });
    const [loaded] = loadExperimentsFromText(JSON.stringify(doc), "bad.yaml");
    expect(loaded?.experiment).toBeUndefined();
    const lines = loaded!.problems.map((p) => `${p.path}: ${p.message}`);
    expect(lines.some((l) => l.startsWith(`${field}: `) && l.includes(words)), lines.join("\n")).toBe(true);

    const verdict = server(doc.spec);
    expect(verdict.ok, "the CRD must reject it too").toBe(false);
  });

  it("an experiment that starts from its own checkpoint is refused by both, naming the field", () => {
    const doc = merge(base, { metadata: { name: "selfref" }, spec: { model: { initialWeights: { fromExperiment: "selfref" } } } });
    const [loaded] = loadExperimentsFromText(JSON.stringify(doc), "self.yaml");
    expect(loaded!.problems).toEqual([
      { path: "spec.model.initialWeights.fromExperiment", message: expect.stringContaining("its own checkpoint") },
    ]);
    const rootServer = serverEmulator(memeExperimentCrd().spec.versions[0]!.schema.openAPIV3Schema);
    expect(rootServer(doc).ok, "the CRD's root rule must reject it too").toBe(false);
    const other = merge(doc, { spec: { model: { initialWeights: { fromExperiment: "another" } } } });
    expect(loadExperimentsFromText(JSON.stringify(other), "other.yaml")[0]!.problems).toEqual([]);
    expect(rootServer(other)).toMatchObject({ ok: true });
  });

  it("every problem of a file is reported, not just the first", () => {
    const doc = merge(base, { spec: { training: { learningRate: -1, epochs: 0 }, features: { extractor: "nope" } } });
    const [loaded] = loadExperimentsFromText(JSON.stringify(doc), "bad.yaml");
    expect(loaded!.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(["spec.training.learningRate", "spec.training.epochs", "spec.features.extractor"]),
    );
  });

  it("invalid YAML, a wrong kind, and an empty file are named", () => {
    expect(loadExperimentsFromText("spec: [\n", "broken.yaml")[0]!.problems[0]).toMatchObject({ path: "(yaml)" });
    expect(loadExperimentsFromText("a: 1\na: 2\n", "dup.yaml")[0]!.problems[0]!.message).toMatch(/unique/i);
    const wrongKind = loadExperimentsFromText(JSON.stringify({ ...base, kind: "Pod" }), "k.yaml")[0]!;
    expect(wrongKind.problems).toContainEqual({ path: "kind", message: "must be MemeExperiment" });
    expect(loadExperimentsFromText("", "empty.yaml")[0]!.problems).toEqual([{ path: "(file)", message: "empty file" }]);
  });

  it("a file with several documents names each one", () => {
    const text = [JSON.stringify(base), JSON.stringify(merge(base, { spec: { training: { epochs: 0 } } }))].join("\n---\n");
    const docs = loadExperimentsFromText(text, "two.yaml");
    expect(docs.map((d) => [d.source, d.problems.length])).toEqual([["two.yaml#1", 0], ["two.yaml#2", 1]]);
    expect(parse(JSON.stringify(base))).toBeTruthy();
  });
});
