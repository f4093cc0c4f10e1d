// Bad MemeSweeps are refused naming the field: by the API server's rules (here its emulation) where CEL can say it,
// and by the runtime's trial check (memeops validate, the operator's InvalidSpec) where only a trial spec can, or
// the status size budget, which CEL cannot weigh.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadExperimentsFromText } from "../../../api/load.ts";
import { memeSweepCrd } from "../../../api/v1alpha1/crd.ts";
import { PARAMETER_PATHS } from "../../../api/v1alpha1/parameter-paths.ts";
import { serverEmulator } from "./server-emulation.ts";

const sample = parse(readFileSync("conf/sweeps/quickstart-sweep.yaml", "utf8"));
const server = serverEmulator(memeSweepCrd().spec.versions[0]!.schema.openAPIV3Schema.properties.spec);
const withParameters = (parameters: unknown[]) => ({ ...sample, spec: { ...sample.spec, parameters } });
const problemsOf = (doc: unknown) => loadExperimentsFromText(JSON.stringify(doc), "sweep.yaml")[0]!.problems;

describe("the quickstart sweep", () => {
  it("is valid to the runtime and to the CRD", () => {
    expect(problemsOf(sample)).toEqual([]);
    expect(server(sample.spec).errors).toEqual([]);
  });
});

/** [what, parameters, field the error must name, words, also refused by the CRD] */
const cases: [string, unknown[], string, string, boolean][] = [
  ["a path the spec lacks", [{ path: "training.lr", uniform: { min: 0, max: 1 } }], "spec.parameters[0].path", "must name a string, number or boolean field", true],
  ["two domains", [{ path: "training.learningRate", uniform: { min: 0.1, max: 1 }, logUniform: { min: 0.1, max: 1 } }], "spec.parameters[0]", "exactly one", true],
  ["min above max", [{ path: "training.learningRate", uniform: { min: 0.5, max: 0.1 } }], "spec.parameters[0].uniform.min", "min must be below max", true],
  ["a log domain from 0", [{ path: "training.learningRate", logUniform: { min: 0, max: 0.1 } }], "spec.parameters[0].logUniform.min", ">0", true],
  ["uniform over an integer field", [{ path: "training.epochs", uniform: { min: 1, max: 5 } }], "spec.parameters[0].path", "needs a number field", true],
  ["a path twice", [{ path: "training.seed", int: { min: 1, max: 3 } }, { path: "training.seed", int: { min: 4, max: 6 } }], "spec.parameters", "one parameter only", true],
  ["a maximum the field refuses", [{ path: "training.learningRate", logUniform: { min: 0.001, max: 2 } }], "spec.parameters[0].logUniform.max", "training.learningRate = 2 is refused", false],
  ["a categorical value the spec's rules refuse", [{ path: "features.regions", categorical: { values: [16, 30] } }], "spec.parameters[0].categorical.values[1]", "perfect square", false],
  ["an unknown enum value", [{ path: "features.extractor", categorical: { values: ["pixels", "vgg"] } }], "spec.parameters[0].categorical.values[1]", "features.extractor = \"vgg\"", false],
  ["an object as a categorical value", [{ path: "training.seed", categorical: { values: [{ a: 1 }] } }], "spec.parameters[0].categorical.values[0]", "", false],
];

describe("invalid sweeps", () => {
  it.each(cases)("%s: refused naming the field", (_what, parameters, field, words, byCrd) => {
    const problems = problemsOf(withParameters(parameters));
    const hit = problems.find((p) => p.path === field);
    expect(hit, JSON.stringify(problems)).toBeDefined();
    expect(hit!.message).toContain(words);
    const crd = server(withParameters(parameters).spec);
    expect(crd.ok, crd.errors.join("; ")).toBe(!byCrd);
  });
});

describe("a sweep whose status could outgrow etcd", () => {
  it("is refused by the runtime naming spec.budget.maxTrials and the largest it allows; the CRD cannot weigh it and admits it", () => {
    const paths = [...PARAMETER_PATHS.keys()].slice(0, 20);
    const doc = { ...sample, spec: { ...sample.spec, parameters: paths.map((path) => ({ path, categorical: { values: ["x".repeat(253)] } })), budget: { maxTrials: 500 } } };
    const hit = problemsOf(doc).find((p) => p.path === "spec.budget.maxTrials");
    expect(hit?.message).toMatch(/^500 trials could make the sweep's status, with its spec, \d+ KiB .* these parameters allow spec\.budget\.maxTrials up to \d+/);
    expect(server(doc.spec).errors).toEqual([]);
  });
});
