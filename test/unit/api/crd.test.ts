// crds/memeexperiment.yaml is generated from the zod schema: it must be current and structural.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { memeExperimentCrd, memeExperimentCrdYaml } from "../../../api/v1alpha1/crd.ts";
import { apiReferenceMarkdown } from "../../../api/v1alpha1/reference.ts";

function* nodes(schema: any, path = "$"): Generator<[string, any]> {
  yield [path, schema];
  for (const [k, v] of Object.entries(schema.properties ?? {})) yield* nodes(v, `${path}.${k}`);
  if (schema.items) yield* nodes(schema.items, `${path}[]`);
  if (typeof schema.additionalProperties === "object") yield* nodes(schema.additionalProperties, `${path}{}`);
}

describe("the CRD", () => {
  it("file is in sync with the schema (run `make crd` after changing api/)", () => {
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

  it("is structural: every node typed, no additionalProperties beside properties, unions only for int-or-string", () => {
    const root = parse(memeExperimentCrdYaml()).spec.versions[0].schema.openAPIV3Schema;
    for (const [path, node] of [...nodes(root.properties.spec, "spec"), ...nodes(root.properties.status, "status")]) {
      if (node["x-kubernetes-int-or-string"]) continue;
      expect(node.type, path).toBeDefined();
      expect(node.anyOf ?? node.oneOf ?? node.allOf, path).toBeUndefined();
      if (node.properties) expect(node.additionalProperties, path).toBeUndefined();
      if (node.type === "string" && !node.enum) expect(node.maxLength ?? (node.pattern ? 0 : undefined), `${path} is unbounded`).toBeDefined();
      if (node.type === "array") expect(node.maxItems, `${path} is unbounded`).toBeDefined();
    }
  });

  it("makes the fields that define a run immutable with CEL, and leaves operational ones mutable", () => {
    const spec = memeExperimentCrd().spec.versions[0]!.schema.openAPIV3Schema.properties.spec as any;
    const immutable = Object.entries(spec.properties)
      .filter(([, s]: [string, any]) => (s["x-kubernetes-validations"] ?? []).some((v: any) => v.rule === "self == oldSelf"))
      .map(([k]) => k);
    expect(immutable.sort()).toEqual(["dataset", "features", "mode", "model", "training"]);
  });
});
