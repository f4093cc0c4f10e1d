// The MemeExperiment CRD as a real kube-apiserver sees it: it installs, the shipped samples pass
// server-side validation, invalid specs are refused with the offending field named, and
// `kubectl get memex` prints the columns users rely on.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseAllDocuments } from "yaml";
import { createNamespace, deleteNamespace, kubectl, kubectlJson, kubectlOk } from "./kubectl.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CRD = join(root, "crds", "memeexperiment.yaml");
const samplesDir = join(root, "conf", "experiments");
const samples = readdirSync(samplesDir).filter((f) => f.endsWith(".yaml")).sort();

let ns = "";
beforeAll(() => {
  // Server-side apply: a generated schema can outgrow the 256 KiB last-applied annotation.
  kubectlOk(["apply", "--server-side", "--force-conflicts", "-f", CRD]);
  kubectlOk(["wait", "--for=condition=Established", "crd/memeexperiments.memeops.io", "--timeout=60s"]);
  ns = createNamespace("memeops-test-crd");
});
// The CRD itself stays installed: it is shared cluster state the operator tests apply again, and
// re-creating a CRD while its deletion is still in progress would fail them.
afterAll(() => deleteNamespace(ns));

function experiment(name: string, spec: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: "memeops.io/v1alpha1",
    kind: "MemeExperiment",
    metadata: { name, namespace: ns },
    spec: {
      mode: "train",
      dataset: { source: { synthetic: {} } },
      features: { extractor: "pixels" },
      model: { name: "vilbert_hf", size: "tiny" },
      ...spec,
    },
  });
}

describe("the MemeExperiment CRD", () => {
  test("is Established with the names and short name the docs use", () => {
    const crd = kubectlJson(["get", "crd", "memeexperiments.memeops.io"]);
    expect(crd.status.acceptedNames).toMatchObject({ kind: "MemeExperiment", plural: "memeexperiments" });
    expect(crd.status.acceptedNames.shortNames).toContain("memex");
    expect(kubectlOk(["api-resources", "--api-group=memeops.io", "-o", "name"])).toContain("memeexperiments.memeops.io");
  });

  // kubectl reads YAML 1.1, where a bare key such as n, y, no or on is a boolean: a schema property
  // named `n` would be stored as "false". The server's copy must say what the file says.
  test("is stored exactly as the file reads (no YAML 1.1 surprises)", () => {
    const file = parseAllDocuments(readFileSync(CRD, "utf8"))[0]!.toJS();
    const stored = kubectlJson(["get", "crd", "memeexperiments.memeops.io"]);
    expect(stored.spec.versions).toMatchObject(file.spec.versions);
  });

  test("has at least one sample to check", () => expect(samples.length).toBeGreaterThan(0));

  test.each(samples)("conf/experiments/%s passes server-side validation", (file) => {
    const path = join(samplesDir, file);
    const docs = parseAllDocuments(readFileSync(path, "utf8")).map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS();
    });
    for (const doc of docs) expect(doc).toMatchObject({ apiVersion: "memeops.io/v1alpha1", kind: "MemeExperiment" });
    const r = kubectl(["apply", "--dry-run=server", "-n", ns, "-f", path, "-o", "json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // What the server accepted is what the file says (plus defaults), field for field.
    const accepted = JSON.parse(r.stdout);
    const items = accepted.kind === "List" ? accepted.items : [accepted];
    expect(items.map((o: { spec: unknown }) => o.spec)).toMatchObject(docs.map((d) => d.spec));
  });

  test.each([
    ["a negative learning rate", "spec.training.learningRate", { training: { learningRate: -1 } }],
    ["an unknown extractor", "spec.features.extractor", { features: { extractor: "nope" } }],
  ] as const)("refuses %s, naming %s", (_what, field, spec) => {
    const r = kubectl(["create", "-f", "-"], { input: experiment("invalid", spec) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(field);
    expect(kubectl(["get", "memex", "invalid", "-n", ns]).code).not.toBe(0);
  });

  test("refuses an experiment that starts from its own checkpoint, naming the field (another name is accepted)", () => {
    const weightsFrom = (from: string) => ({ model: { name: "vilbert_hf", size: "tiny", initialWeights: { fromExperiment: from } } });
    const r = kubectl(["create", "-f", "-"], { input: experiment("selfref", weightsFrom("selfref")) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("spec.model.initialWeights.fromExperiment");
    expect(r.stderr).toContain("its own checkpoint");
    kubectlOk(["create", "--dry-run=server", "-f", "-"], { input: experiment("selfref", weightsFrom("another")) });
  });

  test.each([
    ["spec.model", { spec: { model: { name: "vilbert_facebook" } } }],
    ["spec.mode", { spec: { mode: "evaluate" } }],
  ] as const)("refuses a change to the immutable %s of an existing experiment", (field, patch) => {
    const name = `immutable-${field.replace(/\W/g, "-").toLowerCase()}`;
    kubectlOk(["create", "-f", "-"], { input: experiment(name) });
    const r = kubectl(["patch", "memex", name, "-n", ns, "--type=merge", "-p", JSON.stringify(patch)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(field);
    expect(r.stderr).toContain("immutable");
    // A mutable field still changes, so the refusal above is about immutability, not the object.
    kubectlOk(["label", "memex", name, "-n", ns, "touched=yes"]);
  });

  test("kubectl get memex prints the experiment columns", () => {
    kubectlOk(["create", "-f", "-"], { input: experiment("columns") });
    const [header = "", row = ""] = kubectlOk(["get", "memex", "columns", "-n", ns]).trimEnd().split("\n");
    const columns = header.split(/\s{2,}/);
    expect(columns).toEqual(["NAME", "PHASE", "MODEL", "EXTRACTOR", "EPOCH", "VAL AUROC", "TEST AUROC", "AGE"]);
    expect(row).toMatch(/^columns\s+.*vilbert_hf\s+pixels\s/);
  });
});
