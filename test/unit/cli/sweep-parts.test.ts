// The parts of `memeops sweep run` that need no process: the sweep file, trial specs by path, the spec's search
// blocks as search configs, epoch lines, the table and the CSV.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatTable, toCsv } from "../../../cli/sweep/report.ts";
import type { SweepResult } from "../../../cli/sweep/runner.ts";
import { loadOneSweep } from "../../../api/load.ts";
import { objectiveDirection } from "../../../api/v1alpha1/sweep-spec.ts";
import { epochMetricsOf } from "../../../cli/sweep/trial-process.ts";
import { trialExperiment } from "../../../cli/sweep/trials.ts";
import { trialName } from "../../../api/contract/sweep.ts";
import { algorithmConfig, createAlgorithm, prunerConfig, searchSpace } from "../../../search/index.ts";

const SAMPLE = "conf/sweeps/quickstart-sweep.yaml";

describe("the sample sweep", () => {
  it("loads, and its first trials are feasible quickstart experiments with the drawn parameters", async () => {
    const sweep = await loadOneSweep(SAMPLE);
    expect(sweep.spec.budget).toEqual({ maxTrials: 6, parallelism: 2, maxFailedTrials: 2, maxDuration: "2h" });
    const space = searchSpace(sweep.spec.parameters);
    expect(space.map((p) => p.domain.kind)).toEqual(["logUniform", "int", "categorical"]);
    const algorithm = createAlgorithm(algorithmConfig(sweep.spec.algorithm), space, objectiveDirection(sweep.spec.objective));
    for (let i = 0; i < 3; i++) {
      const params = algorithm.suggest(i, [])!;
      const trial = trialExperiment(sweep, i, params);
      expect(trial.ok).toBe(true);
      if (!trial.ok) continue;
      expect(trial.experiment.metadata).toMatchObject({ name: trialName("quickstart-sweep", i), labels: { "memeops.io/sweep": "quickstart-sweep", "memeops.io/trial-index": String(i) } });
      expect(trial.experiment.spec.training.learningRate).toBe(params["training.learningRate"]);
      expect(trial.experiment.spec.training.warmupSteps).toBe(params["training.warmupSteps"]);
      expect(trial.experiment.spec.training.loss).toMatchObject({ type: "focal", gamma: params["training.loss.gamma"] });
      expect(trial.experiment.spec.training.epochs).toBe(12);
    }
    expect(prunerConfig(sweep.spec.earlyStopping, sweep.spec.trialTemplate.spec.training.epochs)).toEqual({ name: "median", warmupEpochs: 6, minTrials: 2 });
  });

  it("a parameter value the experiment schema refuses makes the trial Infeasible, with the field and the reason", async () => {
    const sweep = await loadOneSweep(SAMPLE);
    const trial = trialExperiment(sweep, 0, { "training.learningRate": -1, "training.warmupSteps": 20, "training.loss.gamma": 0 });
    expect(trial).toEqual({ ok: false, problems: [{ path: "spec.training.learningRate", message: "Too small: expected number to be >0" }] });
    expect(trialExperiment(sweep, 0, { "training.learningRate.x": 1 })).toMatchObject({ ok: false, problems: [{ path: "spec.training.learningRate" }] });
  });
});

describe("parts", () => {
  it("the spec's blocks as search configs: ASHA bounded by the trials' epochs, int step defaulting to 1", () => {
    expect(searchSpace([{ path: "a", int: { min: 1, max: 4 } }])).toEqual([{ path: "a", domain: { kind: "int", min: 1, max: 4, step: 1 } }]);
    expect(algorithmConfig({ tpe: { seed: 1, startupTrials: 3, candidates: 8, gamma: 0.2 } })).toEqual({ name: "tpe", seed: 1, startupTrials: 3, candidates: 8, gamma: 0.2 });
    expect(prunerConfig({ asha: { minEpochs: 1, reductionFactor: 3 } }, 9)).toEqual({ name: "asha", minEpochs: 1, reductionFactor: 3, maxEpochs: 9 });
    expect(prunerConfig(undefined, 9)).toBeUndefined();
    expect(() => algorithmConfig({ grid: { pointsPerDimension: 2 }, random: { seed: 1 } })).toThrow("spec.algorithm: set exactly one of its kinds (found grid, random)");
    expect(() => searchSpace([{ path: "a" }])).toThrow("spec.parameters[0] (a): set exactly one of its kinds (found none)");
  });

  it("epoch lines: metrics of `epoch` events only; NaN arrives as a string", () => {
    expect(epochMetricsOf('{"level":"info","msg":"epoch 2 done","event":"epoch","metrics":{"epoch":2,"valAuroc":"NaN","valLoss":0.7}}')).toEqual({ epoch: 2, valAuroc: "NaN", valLoss: 0.7 });
    expect(epochMetricsOf('{"event":"start","epochs":3}')).toBeUndefined();
    expect(epochMetricsOf("epoch 1/3 train_loss 0.9")).toBeUndefined();
    expect(epochMetricsOf("{not json")).toBeUndefined();
  });

  it("the sweep file's problems are named by file and field", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "memeops-sweepfile-")), "s.yaml");
    writeFileSync(file, "apiVersion: memeops.io/v1alpha1\nkind: MemeSweep\nmetadata: {name: s}\nspec:\n  trialTemplate: {spec: {dataset: {source: {synthetic: {}}}}}\n  parameters:\n    - {path: training.learningRate, uniform: {min: 2, max: 1}}\n  algorithm: {random: {}}\n  earlyStopping: {median: {}, asha: {}}\n");
    await expect(loadOneSweep(file)).rejects.toThrow([
      `${file}: spec.parameters[0].uniform.min: min must be below max`,
      `${file}: spec.earlyStopping: set at most one of earlyStopping.median, earlyStopping.asha`,
    ].join("\n"));
  });
});

describe("report", () => {
  const result: SweepResult = {
    name: "s", phase: "Succeeded", reason: "BudgetExhausted", message: "3 trials run (maxTrials)",
    objective: { metric: "val_auroc", direction: "maximize" }, algorithm: { name: "random", seed: 1 }, parallelism: 1,
    startTime: "2026-01-01T00:00:00Z", wallSeconds: 12.5,
    counts: { pending: 0, queued: 0, running: 0, succeeded: 2, failed: 0, infeasible: 1, evicted: 0, metricsMissing: 0, pruned: 0 },
    bestTrial: { name: "s-t0002", parameters: { lr: 0.001, "model.size": "tiny" }, value: 0.9, epoch: 2 },
    trials: [
      { name: "s-t0001", index: 0, parameters: { lr: 0.0001234, "model.size": "tiny" }, phase: "Succeeded", value: 0.7, epoch: 3, curve: [0.5, 0.6, 0.7], seconds: 4 },
      { name: "s-t0002", index: 1, parameters: { lr: 0.001, "model.size": "tiny" }, phase: "Succeeded", value: 0.9, epoch: 2, curve: [0.5, 0.9, 0.8], seconds: 4 },
      { name: "s-t0003", index: 2, parameters: { lr: 0.01, "model.size": "a,b" }, phase: "Infeasible", reason: "InvalidSpec", message: "x", curve: [] },
    ],
  };

  it("the table: a row per trial, the best marked, then the best and the ending", () => {
    expect(formatTable(result)).toBe([
      "trial      phase       val_auroc  epoch  parameters",
      "s-t0001    Succeeded   0.7000     3      lr=0.000123 model.size=tiny",
      "s-t0002 *  Succeeded   0.9000     2      lr=0.00100 model.size=tiny",
      "s-t0003    Infeasible  -          -      lr=0.0100 model.size=a,b",
      "best: s-t0002 val_auroc 0.9000 at epoch 2 (lr=0.00100 model.size=tiny)",
      "s: Succeeded (BudgetExhausted: 3 trials run (maxTrials)); 2 succeeded, 1 infeasible; 12.5 s",
    ].join("\n"));
  });

  it("the CSV: parameters in columns, values exact, cells with commas quoted", () => {
    expect(toCsv(result)).toBe([
      "trial,index,phase,lr,model.size,val_auroc,epoch,epochs_run,seconds,reason",
      "s-t0001,0,Succeeded,0.0001234,tiny,0.7,3,3,4,",
      "s-t0002,1,Succeeded,0.001,tiny,0.9,2,3,4,",
      's-t0003,2,Infeasible,0.01,"a,b",,,0,,InvalidSpec',
      "",
    ].join("\n"));
  });
});
