// load -> save (memeops checkpoint) -> load gives identical tensors, through this module and training's reader.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCheckpoint } from "../../../trainer-image/src/weights/open-checkpoint.ts";
import { loadInto } from "../../../trainer-image/src/weights/load.ts";
import { saveWeightsCheckpoint } from "../../../trainer-image/src/weights/save.ts";
import { modelFromCheckpoint } from "../../../trainer-image/src/training/checkpoint.ts";
import { createModel } from "../../../trainer-image/src/models/registry.ts";
import type { Model, ModelName } from "../../../trainer-image/src/models/model.ts";
import { FIXTURE_CONFIG, fixture, fixtureModel } from "./fixtures.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-weights-roundtrip-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const snapshot = (m: Model) => new Map([...m.params.variables].map(([k, v]) => [k, Array.from(v.dataSync())]));

describe("round trip through the memeops checkpoint format", () => {
  for (const [name, modelName] of [["vilbert-facebook-legacy.bin", "vilbert_facebook"], ["vilbert-hf.safetensors", "vilbert_hf"], ["bert-pretraining-legacy.bin", "vilbert_hf"]] as const) {
    it(`${name} -> ${modelName}: load, save, load is identical, also for training's checkpoint reader`, async () => {
      const first = fixtureModel(modelName as ModelName, 1);
      const report = loadInto(first, await openCheckpoint(fixture(name)));
      const out = join(tmp, name);
      await saveWeightsCheckpoint(out, first, { file: name, sha256: "x", layout: report.layout }, report);
      const manifest = JSON.parse(readFileSync(join(out, "checkpoint.json"), "utf8"));
      expect(manifest.converted.notLoaded.map((t: { name: string }) => t.name)).toEqual(report.targets.filter((t) => t.status !== "loaded").map((t) => t.name));

      // another seed: every value must come from the file, none from the initialisation
      const second = fixtureModel(modelName as ModelName, 99);
      const again = loadInto(second, await openCheckpoint(out));
      expect(again.layout).toBe("memeops");
      expect(again.targets.every((t) => t.status === "loaded")).toBe(true);
      expect(snapshot(second)).toEqual(snapshot(first));

      const { model: third } = await modelFromCheckpoint(out);
      expect(snapshot(third)).toEqual(snapshot(first));
      // a memeops checkpoint only fits its own architecture
      const other = createModel(modelName === "vilbert_hf" ? "vilbert_facebook" : "vilbert_hf", "tiny", { T: 16, R: 4, D: 16 },
        { config: FIXTURE_CONFIG[modelName === "vilbert_hf" ? "vilbert_facebook" : "vilbert_hf"] });
      await expect(openCheckpoint(out).then((f) => loadInto(other, f))).rejects.toThrow(/holds vilbert_\w+\/tiny weights, not vilbert_\w+\/tiny: model/);
      for (const m of [first, second, third, other]) m.dispose();
    });
  }
});
