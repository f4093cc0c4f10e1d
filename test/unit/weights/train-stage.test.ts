// The train stage starts from spec.model.initialWeights through the weights loader: the load report lands in
// WORKDIR/weights-report.json, and a weights file that is not there stops the run instead of training from random.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCommand } from "../../../cli/commands/run.ts";
import { createModel } from "../../../trainer-image/src/models/registry.ts";
import { planFor } from "../../../trainer-image/src/weights/load.ts";
import { saveWeightsCheckpoint } from "../../../trainer-image/src/weights/save.ts";
import type { CheckpointFile } from "../../../trainer-image/src/weights/tensors.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-train-weights-"));
const experiment = (name: string, uri: string) => {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, JSON.stringify({
    apiVersion: "memeops.io/v1alpha1", kind: "MemeExperiment", metadata: { name },
    spec: {
      mode: "train",
      dataset: { source: { synthetic: { count: 48, seed: 3, imageSize: 32 } } },
      features: { extractor: "pixels", regions: 4 },
      model: { name: "vilbert_hf", size: "tiny", initialWeights: { uri } },
      training: { epochs: 1, batchSize: 16, learningRate: 0.001, warmupSteps: 1, maxSequenceLength: 16 },
      checks: { enforce: false },
      resources: { gpus: 0 },
    },
  }));
  return file;
};
const errors: string[] = [];
beforeAll(() => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "info").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void errors.push(a.join(" ")));
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(tmp, { recursive: true, force: true });
});

describe("train stage with initialWeights", () => {
  it("loads a memeops checkpoint of the same architecture (recorded for other T and R) and reports every parameter", async () => {
    // the weights of a tiny vilbert_hf recorded for T=64, R=9 (the run uses 16 and 4) and the pixels extractor's D=12
    const source = createModel("vilbert_hf", "tiny", { T: 64, R: 9, D: 12 }, { seed: 11 });
    const asFile: CheckpointFile = { path: "seed-11", format: "memeops-checkpoint", notes: [], tensors: new Map() };
    const ckpt = join(tmp, "start");
    await saveWeightsCheckpoint(ckpt, source, { file: "seed-11", sha256: "-", layout: "memeops" }, planFor(source, asFile));
    source.dispose();
    const out = join(tmp, "out");
    const code = await runCommand.run([experiment("from-ckpt", ckpt), "--out", out, "--storage", join(tmp, "storage"), "--tracking-uri", join(tmp, "mlruns")]);
    expect(code).toBe(0);
    expect(errors.join("\n")).toMatch(/initial weights: .* 103 model parameters: 103 loaded/);
    const report = JSON.parse(readFileSync(join(out, "weights-report.json"), "utf8"));
    expect(report.layout).toBe("memeops");
    expect(report.targets.length).toBeGreaterThan(90);
    expect(report.targets.filter((t: { status: string }) => t.status !== "loaded")).toEqual([]);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(results.run.initialWeights).toMatchObject({ layout: "memeops", loaded: 103, missing: 0, notLoadedCount: 0, report: "weights-report.json" });
    // the same facts as MLflow params in the local file store
    const params = readdirSync(join(tmp, "mlruns"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith("initial_weights.loaded"));
    expect(params).toHaveLength(1);
    expect(readFileSync(join(tmp, "mlruns", params[0]!), "utf8").trim()).toBe("103");
  }, 240_000);

  it("a weights file that is not there stops the run", async () => {
    const out = join(tmp, "out-missing");
    await expect(runCommand.run([experiment("missing", join(tmp, "no-such-weights.bin")), "--out", out, "--storage", join(tmp, "storage"), "--tracking-uri", join(tmp, "mlruns")]))
      .rejects.toThrow(/no-such-weights\.bin does not exist; refusing to start from random weights/);
    expect(existsSync(join(out, "checkpoints"))).toBe(false);
  }, 240_000);
});
