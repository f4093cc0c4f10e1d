// crds/*.yaml are generated from the zod schemas: they must be current and structural.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { crdYaml, memeExperimentCrd, memeExperimentCrdYaml, memeSweepCrd, type KindKey } from "../../../api/v1alpha1/crd.ts";
import { apiReferenceMarkdown } from "../../../api/v1alpha1/reference.ts";

function* nodes(schema: any, path = "$"): Generator<[string, any]> {
  yield [path, schema];
  for (const [k, v] of Object.entries(schema.properties ?? {})) yield* nodes(v, `${path}.${k}`);
  if (schema.items) yield* nodes(schema.items, `${path}[]`);
  if (typeof schema.additionalProperties === "object") yield* nodes(schema.additionalProperties, `${path}{}`);
}

const kinds: KindKey[] = ["memeexperiment", "memesweep"];

describe.each(kinds)("the %s CRD", (kind) => {
  it("file is in sync with the schema (run `make crd` after changing api/)", () => {
    expect(readFileSync(`crds/${kind}.yaml`, "utf8")).toBe(crdYaml(kind));
  });

  it("is structural: every node typed, no additionalProperties beside properties, unions only for int-or-string", () => {
    const root = parse(crdYaml(kind)).spec.versions[0].schema.openAPIV3Schema;
    for (const [path, node] of [...nodes(root.properties.spec, "spec"), ...nodes(root.properties.status, "status")]) {
      // Untyped only where a value is a string, number or boolean (a sweep's parameter values).
      if (node["x-kubernetes-int-or-string"] || node["x-kubernetes-preserve-unknown-fields"]) continue;
      expect(node.type, path).toBeDefined();
      expect(node.anyOf ?? node.oneOf ?? node.allOf, path).toBeUndefined();
      if (node.properties) expect(node.additionalProperties, path).toBeUndefined();
      if (node.type === "string" && !node.enum) expect(node.maxLength ?? (node.pattern ? 0 : undefined), `${path} is unbounded`).toBeDefined();
      if (node.type === "array") expect(node.maxItems, `${path} is unbounded`).toBeDefined();
    }
  });
});

describe("the MemeExperiment CRD", () => {
  it("file is the output of memeExperimentCrdYaml", () => {
    expect(readFileSync("crds/memeexperiment.yaml", "utf8")).toBe(memeExperimentCrdYaml());
  });

  it("reference docs are in sync with the schema (run `make crd`)", () => {
    expect(readFileSync("docs/api-reference.md", "utf8")).toBe(apiReferenceMarkdown());
  });

  it("has the names, scope, subresource and printer columns users rely on", () => {
    const crd = memeExperimentCrd();
    expect(crd.metadata.name).toBe("memeexperiments.memeops.io");
    expect(crd.spec.names).toMatchObject({ kind: "MemeExperiment", shortNames: ["memex"], categories: ["memeops"] });
    expect(crd.spec.scope).toBe("Namespaced");
    const v = crd.spec.versions[0]!;
    expect(v.subresources).toEqual({ status: {} });
    expect(v.additionalPrinterColumns.map((c) => c.name)).toEqual(
      expect.arrayContaining(["Phase", "Model", "Extractor", "Epoch", "Val AUROC", "Test AUROC", "Age"]),
    );
  });

  it("makes the fields that define a run immutable with CEL, and leaves operational ones mutable", () => {
    const spec = memeExperimentCrd().spec.versions[0]!.schema.openAPIV3Schema.properties.spec as any;
    const immutable = Object.entries(spec.properties)
      .filter(([, s]: [string, any]) => (s["x-kubernetes-validations"] ?? []).some((v: any) => v.rule === "self == oldSelf"))
      .map(([k]) => k);
    expect(immutable.sort()).toEqual(["dataset", "features", "mode", "model", "training"]);
  });
});

describe("the MemeSweep CRD", () => {
  const v = memeSweepCrd().spec.versions[0]!;
  it("has the names, subresource and printer columns users rely on", () => {
    const crd = memeSweepCrd();
    expect(crd.metadata.name).toBe("memesweeps.memeops.io");
    expect(crd.spec.names).toMatchObject({ kind: "MemeSweep", plural: "memesweeps", shortNames: ["memesweep"], categories: ["memeops"] });
    expect(v.subresources).toEqual({ status: {} });
    expect(v.additionalPrinterColumns.filter((c) => !c.priority).map((c) => c.name)).toEqual(["Phase", "Trials", "Running", "Best", "Value", "Age"]);
  });

  it("leaves only budget and suspend mutable", () => {
    const spec = v.schema.openAPIV3Schema.properties.spec as any;
    const mutable = Object.entries(spec.properties)
      .filter(([, s]: [string, any]) => !(s["x-kubernetes-validations"] ?? []).some((r: any) => r.rule === "self == oldSelf"))
      .map(([k]) => k);
    expect(mutable.sort()).toEqual(["budget", "suspend"]);
    // an optional field's own rule cannot see it appear or go: the spec's rule does
    expect(spec["x-kubernetes-validations"].map((r: any) => r.rule)).toContain("has(self.earlyStopping) == has(oldSelf.earlyStopping)");
  });
});
