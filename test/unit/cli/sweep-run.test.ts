// `memeops sweep run` as users run it: a tiny real sweep (synthetic memes, the tiny model, 3 epochs, 4 grid points,
// 2 trials at a time, ASHA on val_loss with rungs at epochs 1 and 2), its trials real `memeops run` processes.
// Measured val_loss per epoch (wasm backend): t0001 0.715 0.752 0.694, t0002 0.977 0.770 0.740, t0003 0.757 0.756 ..,
// t0004 0.851 .. . Which trials a rung compares depends on the order two parallel trials reach it, but not all of it:
// t0001 is the best at every rung, so it always finishes and is the best trial; t0004 starts after two trials have
// ended, so at least two epoch-1 values are there when it reaches epoch 1, and with any two of them it falls outside
// the top half: it is always pruned at epoch 1. t0002 and t0003 go either way.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { SweepResult } from "../../../cli/sweep/runner.ts";
import { RUN_STATUS_CODE } from "../../../tracking/local-store.ts";
import { storeRuns } from "./mlruns.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-sweep-"));
const memeops = (...args: string[]) => {
  const r = spawnSync(process.execPath, ["cli/bin/memeops.mjs", ...args], { encoding: "utf8", env: { ...process.env, MEMEOPS_BACKEND: "wasm" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const SWEEP = `apiVersion: memeops.io/v1alpha1
kind: MemeSweep
metadata: {name: tiny}
spec:
  trialTemplate:
    spec:
      mode: train
      dataset: {source: {synthetic: {count: 64, seed: 3, imageSize: 32}}}
      features: {extractor: pixels, regions: 4}
      model: {name: vilbert_hf, size: tiny}
      training: {epochs: 3, batchSize: 16, warmupSteps: 0, maxSequenceLength: 16, seed: 1}
      checks: {enforce: false}
  parameters:
    - path: training.learningRate
      categorical: {values: [0.003, 0.00001]}
    - path: training.seed
      categorical: {values: [1, 2]}
  objective: {metric: val_loss}
  algorithm: {grid: {}}
  budget: {maxTrials: 10, parallelism: 1}
  earlyStopping: {asha: {minEpochs: 1, reductionFactor: 2}}
`;

describe("memeops sweep run", () => {
  it("runs every grid point 2 at a time, stops the pruned trials after their rung, and reports the best", () => {
    const file = join(tmp, "tiny.yaml");
    writeFileSync(file, SWEEP);
    const out = join(tmp, "out");
    const r = memeops("sweep", "run", file, "--parallel", "2", "--out", out, "--storage", join(tmp, "storage"), "--tracking-uri", join(tmp, "mlruns"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const result = JSON.parse(readFileSync(join(out, "sweep.json"), "utf8")) as SweepResult;
    expect(result).toMatchObject({ phase: "Succeeded", reason: "SpaceExhausted", parallelism: 2, objective: { metric: "val_loss", direction: "minimize" } });
    expect(result.trials.map((t) => [t.name, t.parameters])).toEqual([
      ["tiny-t0001", { "training.learningRate": 0.003, "training.seed": 1 }],
      ["tiny-t0002", { "training.learningRate": 0.003, "training.seed": 2 }],
      ["tiny-t0003", { "training.learningRate": 0.00001, "training.seed": 1 }],
      ["tiny-t0004", { "training.learningRate": 0.00001, "training.seed": 2 }],
    ]);
    const byName = Object.fromEntries(result.trials.map((t) => [t.name, t]));
    expect(byName["tiny-t0001"]).toMatchObject({ phase: "Succeeded", epoch: 3 });
    expect(byName["tiny-t0004"]).toMatchObject({ phase: "Pruned", epoch: 1 });
    for (const t of result.trials) {
      const run = join(out, "trials", t.name, "run");
      expect(["Succeeded", "Pruned"]).toContain(t.phase);
      if (t.phase === "Pruned") {
        // stopped at a rung before the last epoch, with no epoch recorded after the decision, and no results
        expect([1, 2]).toContain(t.epoch);
        expect(t.curve).toHaveLength(t.epoch!);
        expect(t.message).toMatch(/^value \d\.\d+ at rung \d \(epoch \d\) is outside the top \d of \d \(cut-off \d\.\d+\): pruned$/);
        expect(existsSync(join(run, "results.json"))).toBe(false);
        expect(readFileSync(join(out, "trials", t.name, "run.log"), "utf8")).toContain("SIGTERM; marking the MLflow run KILLED");
      } else {
        expect(t.curve).toHaveLength(3);
        expect(t.value).toBe(Math.min(...t.curve.map(Number)));
        expect(existsSync(join(run, "results.json"))).toBe(true);
      }
    }
    const succeeded = result.trials.filter((t) => t.phase === "Succeeded");
    const best = succeeded.reduce((b, t) => (t.value! < b.value! ? t : b));
    expect(best.name).toBe("tiny-t0001");
    expect(result.bestTrial).toEqual({ name: best.name, parameters: best.parameters, value: best.value, epoch: best.epoch });

    // the table: a header, a row per trial, the best marked *, then the best and the sweep's ending
    const table = r.stdout.slice(r.stdout.indexOf("trial  "));
    const rows = table.split("\n");
    expect(rows[0]).toMatch(/^trial\s+phase\s+val_loss\s+epoch\s+parameters$/);
    for (const [i, t] of result.trials.entries()) {
      expect(rows[i + 1]).toMatch(new RegExp(`^${t.name}${t.name === best.name ? " \\*" : ""}\\s+${t.phase}\\s+${t.value!.toFixed(4)}\\s+${t.epoch}\\s+training.learningRate=`));
    }
    expect(rows[5]).toBe(`best: ${best.name} val_loss ${best.value!.toFixed(4)} at epoch ${best.epoch} (training.learningRate=${best.parameters["training.learningRate"] === 0.003 ? "0.00300" : "0.0000100"} training.seed=${best.parameters["training.seed"]})`);
    expect(rows[6]).toMatch(/^tiny: Succeeded \(SpaceExhausted: every point of the search space was tried \(4 trials\)\); \d succeeded, \d pruned; [\d.]+ s$/);

    const csv = readFileSync(join(out, "trials.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("trial,index,phase,training.learningRate,training.seed,val_loss,epoch,epochs_run,seconds,reason");
    expect(csv[4]).toMatch(/^tiny-t0004,3,Pruned,0\.00001,2,0\.\d+,1,1,[\d.]+,asha$/);

    // MLflow (the file store): the sweep's run FINISHED with trials.csv; each trial's memeops run logged into the run
    // made for it, a child of the sweep's; a pruned one KILLED and tagged with the rule's numbers
    const runs = storeRuns(join(tmp, "mlruns"));
    expect(runs.tiny).toMatchObject({ id: result.mlflow!.runId, status: RUN_STATUS_CODE.FINISHED, tags: { "memeops.io/sweep": "tiny" }, artifacts: ["trials.csv"] });
    for (const t of result.trials) {
      const run = runs[t.name]!;
      expect(run).toMatchObject({ id: t.mlflowRunId, tags: { "mlflow.parentRunId": result.mlflow!.runId, "memeops.io/experiment": t.name } });
      expect(run.metrics).toContain("val_loss");
      if (t.phase === "Pruned") {
        expect(run.status).toBe(RUN_STATUS_CODE.KILLED);
        expect(run.tags).toMatchObject({ "memeops.pruned": "true", "memeops.pruned.rule": "asha", "memeops.pruned.epoch": String(t.epoch), "memeops.pruned.value": String(t.value), "memeops.pruned.threshold": String(t.pruned!.threshold) });
      } else {
        expect(run.status).toBe(RUN_STATUS_CODE.FINISHED);
        expect(run.tags["memeops.pruned"]).toBeUndefined();
      }
    }
  }, 600_000);

  it("refuses a bad sweep file naming the field, and bad flags as usage errors", () => {
    const bad = join(tmp, "bad.yaml");
    writeFileSync(bad, SWEEP.replace("algorithm: {grid: {}}", "algorithm: {grid: {}, random: {seed: 1}}").replace("metric: val_loss", "metric: test_auroc"));
    const r = memeops("sweep", "run", bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}: spec.objective.metric: Invalid option`);
    expect(r.stderr).toContain(`${bad}: spec.algorithm: set exactly one of algorithm.grid, algorithm.random, algorithm.tpe`);
    expect(memeops("sweep", "run", bad, "--parallel", "0").code).toBe(2);
    const suspended = join(tmp, "suspended.yaml");
    writeFileSync(suspended, `${SWEEP}  suspend: true\n`);
    const s = memeops("sweep", "run", suspended, "--out", join(tmp, "suspended"));
    expect(s.code).toBe(1);
    expect(s.stderr).toBe("memeops sweep: tiny: spec.suspend: true: a suspended sweep starts no trial; set it to false to run the sweep here\n");
    expect(existsSync(join(tmp, "suspended"))).toBe(false);
    expect(memeops("sweep", "go", bad).code).toBe(2);
  });
});
