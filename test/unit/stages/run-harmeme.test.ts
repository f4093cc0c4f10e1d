// `memeops run` on a dataset in the HarMeme layout: the harm levels travel from the jsonl rows to results.json,
// where the test split is reported per original class next to the binary metrics.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCommand } from "../../../cli/commands/run.ts";
import { harmemeFiles, harmemeLayout } from "../data/fixtures/harmeme-layout.ts";
import { writeFiles } from "../data/fixtures/layout.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-run-harmeme-"));

beforeAll(() => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "info").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(tmp, { recursive: true, force: true });
});

describe("memeops run on the HarMeme layout", () => {
  it("writes test figures per harm level into results.json", async () => {
    const data = join(tmp, "harmeme");
    await writeFiles(data, await harmemeFiles());
    const file = join(tmp, "harmeme.yaml");
    writeFileSync(file, JSON.stringify({
      apiVersion: "memeops.io/v1alpha1", kind: "MemeExperiment", metadata: { name: "harmeme-tiny" },
      spec: {
        dataset: { source: { directory: { path: data } }, layout: harmemeLayout, splits: { validation: "val" } },
        features: { extractor: "pixels", regions: 4 },
        model: { name: "vilbert_hf", size: "tiny" },
        training: { epochs: 1, batchSize: 8, learningRate: 0.001, warmupSteps: 1, maxSequenceLength: 16 },
        checks: { enforce: false },
        resources: { gpus: 0 },
      },
    }));
    const out = join(tmp, "out");
    const code = await runCommand.run([file, "--out", out, "--storage", join(tmp, "storage"), "--tracking-uri", join(tmp, "mlruns")]);
    expect(code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(results.test.samples).toBe(6);
    const byClass = results.testByClass as { class: string; label: number; count: number; predictedPositiveShare: number; meanProbability: number }[];
    expect(byClass.map((c) => [c.class, c.label, c.count])).toEqual([
      ["not harmful", 0, 3],
      ["somewhat harmful", 1, 2],
      ["very harmful", 1, 1],
    ]);
    for (const c of byClass) {
      expect(c.meanProbability).toBeGreaterThan(0);
      expect(c.meanProbability).toBeLessThan(1);
    }
  }, 120_000);
});
