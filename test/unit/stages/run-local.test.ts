// `memeops run` end to end on a small synthetic experiment: prepare -> train -> evaluate through the CLI command,
// then evaluate mode from the checkpoint it wrote (initialWeights.uri), with a check that must fail under enforce.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCommand } from "../../../cli/commands/run.ts";
import { memeExperimentStatus } from "../../../api/v1alpha1/status.ts";
import { CHECK_NAMES } from "../../../api/v1alpha1/status.ts";
import { openPreparedSplit } from "../../../trainer-image/src/data/prepared.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-run-"));
const storage = join(tmp, "storage");
const out = join(tmp, "out");

const experiment = (name: string, spec: Record<string, unknown>) => {
  const file = join(tmp, `${name}.yaml`);
  // JSON is YAML
  writeFileSync(file, JSON.stringify({
    apiVersion: "memeops.io/v1alpha1", kind: "MemeExperiment", metadata: { name },
    spec: {
      dataset: { source: { synthetic: { count: 96, seed: 3, imageSize: 32 } } },
      features: { extractor: "pixels", regions: 4 },
      model: { name: "vilbert_hf", size: "tiny" },
      training: { epochs: 2, batchSize: 32, learningRate: 0.001, warmupSteps: 2, maxSequenceLength: 16 },
      resources: { gpus: 0 },
      ...spec,
    },
  }));
  return file;
};

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Record<string, any>;
const csvRows = (path: string) => readFileSync(path, "utf8").trim().split("\n");

let logs: string[] = [];
beforeAll(() => {
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void logs.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation(() => {});
  vi.spyOn(console, "info").mockImplementation((...a: unknown[]) => void logs.push(a.join(" ")));
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => (logs.push(String(s)), true));
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(tmp, { recursive: true, force: true });
});

describe("memeops run (prepare, train, evaluate)", () => {
  let code: number;
  beforeAll(async () => {
    logs = [];
    code = await runCommand.run([experiment("tiny-train", { mode: "train", checks: { enforce: false } }), "--out", out, "--storage", storage, "--tracking-uri", join(tmp, "mlruns")]);
  }, 180_000);

  it("exits 0 and writes results.json in the status shape, with numbers for metrics", () => {
    expect(code).toBe(0);
    const r = readJson(join(out, "results.json"));
    const { format, run, ...status } = r;
    expect(format).toBe("memeops.results/v1");
    expect(() => memeExperimentStatus.parse(status)).not.toThrow();
    expect(run).toMatchObject({ experiment: "tiny-train", mode: "train", stages: ["train", "evaluate"], succeeded: true });
    expect(r.epochs).toHaveLength(2);
    for (const m of r.epochs) for (const k of ["trainLoss", "valLoss", "valAuroc", "valAccuracy", "valF1"]) expect(typeof m[k]).toBe("number");
    expect([1, 2]).toContain(r.bestEpoch);
    expect(typeof r.bestValAuroc).toBe("number");
    for (const k of ["auroc", "accuracy", "precision", "recall", "f1", "loss", "threshold"]) expect(typeof r.test[k]).toBe("number");
    expect(r.checks.map((c: { name: string }) => c.name)).toEqual([...CHECK_NAMES]);
    expect(existsSync(join(r.checkpointUri, "checkpoint.json"))).toBe(true);
    expect(r.checkpointUri.startsWith(join(out, "checkpoints"))).toBe(true);
  });

  it("writes one predictions.csv row per test item, with its id", async () => {
    const test = await openPreparedSplit(join(out, "prepared"), "test");
    const ids = test.items.map((i) => i.id);
    await test.close();
    const rows = csvRows(join(out, "predictions.csv"));
    expect(rows[0]).toBe("id,probability,prediction,label");
    expect(rows.slice(1).map((r) => r.split(",")[0])).toEqual(ids);
    expect(readJson(join(out, "results.json")).test.samples).toBe(ids.length);
  });

  it("draws the ROC curve and the training curves (SVG and PNG) and lists them in results.json", () => {
    const plots = readJson(join(out, "results.json")).run.plots;
    expect(plots.map((p: { name: string }) => p.name)).toEqual(["training-curves", "roc"]);
    for (const p of plots) {
      expect(p.svg).toBe(join(out, `${p.name}.svg`));
      expect(p.png).toBe(join(out, `${p.name}.png`));
      expect(readFileSync(p.svg, "utf8")).toContain("<svg");
      expect(readFileSync(p.png).subarray(1, 4).toString()).toBe("PNG");
    }
  });

  it("says the MLflow run's outcome once", () => {
    expect(logs.filter((l) => l.startsWith("mlflow: run")).map((l) => l.replace(/run \w+/, "run ID"))).toEqual([
      `mlflow: run ID FINISHED in ${pathToFileURL(join(tmp, "mlruns")).href}`,
    ]);
  });

  it("prints a progress line per epoch and a summary", () => {
    // stdout is not a TTY under vitest: JSON lines
    const epochs = logs.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).filter((e) => e.event === "epoch");
    expect(epochs.map((e) => e.metrics.epoch)).toEqual([1, 2]);
    expect(logs.some((l) => l.includes("epoch  train_loss"))).toBe(true);
  });

  it("evaluate mode loads the checkpoint of initialWeights.uri; an enforced failing check exits 1 and is named", async () => {
    logs = [];
    const evalOut = join(tmp, "eval");
    const file = experiment("tiny-eval", {
      mode: "evaluate",
      model: { name: "vilbert_hf", size: "tiny", initialWeights: { uri: join(out, "checkpoints") } },
      checks: { enforce: true, minAuroc: 0.999999 },
    });
    const evalCode = await runCommand.run([file, "--out", evalOut, "--storage", storage, "--tracking-uri", join(tmp, "mlruns")]);
    expect(evalCode).toBe(1);
    expect(logs.join("\n")).toMatch(/check\(s\) failed: .*better_than_random/);
    const r = readJson(join(evalOut, "results.json"));
    expect(r.run.failedChecks).toContain("better_than_random");
    expect(r.epochs).toBeUndefined();
    // the same weights and the same test split: the same predictions as the train run's evaluate stage
    expect(csvRows(join(evalOut, "predictions.csv"))).toEqual(csvRows(join(out, "predictions.csv")));
  });
});
