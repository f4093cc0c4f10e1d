// spec.training.freeze and spec.model.modalities through `memeops run`: the log names the trainable part and the
// frozen-output cache, the checkpoint records both, and a second run with the same frozen weights and data reads
// the cache from MEMEOPS_CACHE_DIR instead of computing it.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCommand } from "../../../cli/commands/run.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-freeze-run-"));
const file = join(tmp, "frozen.yaml");
writeFileSync(file, JSON.stringify({
  apiVersion: "memeops.io/v1alpha1", kind: "MemeExperiment", metadata: { name: "frozen" },
  spec: {
    mode: "train",
    dataset: { source: { synthetic: { count: 48, seed: 3, imageSize: 32 } } },
    features: { extractor: "pixels", regions: 4 },
    model: { name: "vilbert_facebook", size: "tiny", modalities: ["text"] },
    training: { epochs: 1, batchSize: 16, learningRate: 0.001, warmupSteps: 1, maxSequenceLength: 16, freeze: { textLayers: 1 } },
    checks: { enforce: false },
    resources: { gpus: 0 },
  },
}));
const lines: string[] = [];
const before = process.env.MEMEOPS_CACHE_DIR;
beforeAll(() => {
  process.env.MEMEOPS_CACHE_DIR = join(tmp, "cache");
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "info").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterAll(() => {
  vi.restoreAllMocks();
  if (before === undefined) delete process.env.MEMEOPS_CACHE_DIR;
  else process.env.MEMEOPS_CACHE_DIR = before;
  rmSync(tmp, { recursive: true, force: true });
});

/** The params of the one run in an MLflow file store: mlruns/EXPERIMENT/RUN/params/KEY holds each value. */
function mlflowParams(store: string): Record<string, string> {
  const runs = readdirSync(store, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .flatMap((exp) => readdirSync(join(store, exp.name), { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith("."))
      .map((r) => join(store, exp.name, r.name, "params")));
  const dir = runs.find((d) => { try { return readdirSync(d).length > 0; } catch { return false; } });
  if (!dir) throw new Error(`no run with params under ${store}`);
  return Object.fromEntries(readdirSync(dir).map((k) => [k, readFileSync(join(dir, k), "utf8")]));
}

const run = (out: string) => runCommand.run([file, "--out", join(tmp, out), "--storage", join(tmp, "storage"), "--tracking-uri", join(tmp, "mlruns")]);

describe("memeops run with training.freeze and model.modalities", () => {
  it("trains the text-only model above its frozen part, records it, and reuses the cache", async () => {
    expect(await run("first")).toBe(0);
    const log = lines.join("\n");
    expect(log).toMatch(/vilbert_facebook \(tiny, text\): [\d,]+ parameters, [\d,]+ trainable \(training\.freeze\)/);
    expect(log).toMatch(new RegExp(`frozen parts' outputs for \\d+ samples computed and kept in ${join(tmp, "cache", "frozen-outputs")}`));
    const checkpoints = join(tmp, "first", "checkpoints");
    const epoch = readdirSync(checkpoints).find((d) => d.startsWith("epoch-"))!;
    const manifest = JSON.parse(readFileSync(join(checkpoints, epoch, "checkpoint.json"), "utf8"));
    expect(manifest.frozen).toEqual({ text: 1, visual: null });
    expect(manifest.architecture.config.modalities).toEqual(["text"]);
    expect(readdirSync(join(tmp, "cache", "frozen-outputs")).length).toBe(4); // train and validation: values + description
    // the MLflow run (here the file store) says what was frozen and what trained
    const params = mlflowParams(join(tmp, "mlruns"));
    expect(params).toMatchObject({ modalities: "text", "freeze.textLayers": "1" });
    expect(Number(params.model_trainable_params)).toBeGreaterThan(0);
    expect(Number(params.model_trainable_params)).toBeLessThan(Number(params.model_total_params));

    lines.length = 0;
    expect(await run("second")).toBe(0);
    expect(lines.join("\n")).toMatch(/frozen parts' outputs for \d+ samples read from/);
  });
});
