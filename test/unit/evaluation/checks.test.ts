import { describe, expect, it } from "vitest";
import { notRun, predictionsAt, runChecks } from "../../../trainer-image/src/evaluation/checks.ts";
import { predictionsCsv } from "../../../trainer-image/src/evaluation/predictions-file.ts";
import { checkResult, CHECK_NAMES } from "../../../api/v1alpha1/status.ts";
import { checksSpec } from "../../../api/v1alpha1/spec.ts";

const spec = checksSpec.parse({});
const byName = (results: ReturnType<typeof runChecks>) => Object.fromEntries(results.map((r) => [r.name, r]));

describe("the seven prediction checks", () => {
  it("all pass on healthy labelled predictions, in CHECK_NAMES order, as valid CheckResults", () => {
    const probabilities = [0.9, 0.2, 0.7, 0.1];
    const results = runChecks({ probabilities, predictions: predictionsAt(probabilities, 0.5), labels: [1, 0, 1, 0] }, spec);
    expect(results.map((r) => r.name)).toEqual([...CHECK_NAMES]);
    for (const r of results) {
      expect(checkResult.parse(r)).toEqual(r);
      expect(r.passed, r.message).toBe(true);
    }
    expect(byName(results).better_than_random).toMatchObject({ value: 1, threshold: 0.5 });
  });

  it("each failure is reported with its measured value", () => {
    const r = byName(
      runChecks(
        { probabilities: [NaN, 1.5, 0.2, null], predictions: [null, 2, 0, 0], labels: [1, 0, 1, 0] },
        checksSpec.parse({ minPredictions: 10 }),
      ),
    );
    expect(r.no_null_predictions).toMatchObject({ passed: false, value: 1 });
    expect(r.valid_binary_predictions).toMatchObject({ passed: false, value: 1 });
    expect(r.valid_probability_range).toMatchObject({ passed: false, value: 1 });
    expect(r.no_null_probabilities).toMatchObject({ passed: false, value: 2 });
    expect(r.prediction_count).toMatchObject({ passed: false, value: 4, threshold: 10 });
    expect(r.class_distribution).toMatchObject({ passed: false, value: 1, threshold: 2 });
    expect(r.better_than_random!.passed).toBe(false);
    expect(r.better_than_random!.message).toMatch(/^not run:/);
  });

  it("a random model fails better_than_random", () => {
    const r = byName(runChecks({ probabilities: [0.4, 0.6, 0.4, 0.6], predictions: [0, 1, 0, 1], labels: [1, 1, 0, 0] }, spec));
    expect(r.better_than_random).toMatchObject({ passed: false, value: 0.5 });
  });

  it("without labels better_than_random cannot run: it fails and says so, never passes silently", () => {
    const results = runChecks({ probabilities: [0.9, 0.1], predictions: [1, 0], labels: [-1, -1] }, spec);
    const r = byName(results).better_than_random!;
    expect(r.passed).toBe(false);
    expect(r.value).toBeUndefined();
    expect(r.message).toMatch(/not run: no sample has a known label/);
    expect(notRun(results)).toEqual(["better_than_random"]);
  });
});

describe("predictions file", () => {
  it("writes id, probability, prediction, label (empty when unknown), keeping ids as strings", () => {
    const csv = predictionsCsv(
      { ids: ["01235", "a,b"], probabilities: Float32Array.from([0.75, 0.25]), labels: Int32Array.from([1, -1]), loss: NaN },
      0.5,
    );
    expect(csv).toBe('id,probability,prediction,label\n01235,0.7500000,1,1\n"a,b",0.2500000,0,\n');
  });
});

describe("evaluateSplit", async () => {
  const { useWasm } = await import("../training/wasm.ts");
  const { createModel } = await import("../../../trainer-image/src/models/registry.ts");
  const { xorMemes, XOR_DIMS } = await import("../../../trainer-image/src/training/xor-memes.ts");
  const { evaluateSplit } = await import("../../../trainer-image/src/evaluation/evaluate.ts");

  it("predicts a split, reports TestResults and runs the checks; unlabelled splits get no results", async () => {
    await useWasm();
    const model = createModel("vilbert_hf", "tiny", XOR_DIMS, { seed: 1 });
    const source = xorMemes({ n: 8, seed: 1 });
    const e = evaluateSplit(model, source, { batchSize: 4, loss: { type: "ce", alpha: 0.35, gamma: 2, smoothing: 0.1 }, checks: spec });
    expect(e.predictions.ids).toHaveLength(8);
    expect(e.results).toMatchObject({ samples: 8, threshold: 0.5 });
    expect(e.results!.loss).toBeGreaterThan(0);
    expect(e.checks.map((c) => c.name)).toEqual([...CHECK_NAMES]);

    const unlabelled = { ...source, size: source.size, dims: source.dims, batches: (bs: number) => [...source.batches(bs, {})].map((b) => ({ ...b, labels: b.labels.map(() => -1) })) };
    const u = evaluateSplit(model, unlabelled, { batchSize: 4, checks: spec });
    expect(u.results).toBeNull();
    expect(notRun(u.checks)).toEqual(["better_than_random"]);
    model.dispose();
  });
});
