// `memeops sweep run` against the real MLflow server, its trials real `memeops run` processes: budget.maxDuration
// ends the sweep as the operator's would (MaxDurationReached; Failed, since no trial could finish: 1000 epochs, no
// early stop), the running trials are stopped and none is left running, and MLflow holds what the operator's sweep
// leaves there: the sweep's run with trials.csv, each trial's run its child, KILLED and tagged memeops.pruned.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { SweepResult } from "../../cli/sweep/runner.ts";
import { restApi, uniq } from "./helpers.ts";

const uri = inject("mlflowUri");
const tmp = mkdtempSync(join(tmpdir(), "memeops-sweep-mlflow-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const api = restApi(uri);
type ApiRun = { info: { run_id: string; run_name: string; status: string }; data: { tags?: { key: string; value: string }[] } };
const tagsOf = (r: ApiRun) => Object.fromEntries((r.data.tags ?? []).map((t) => [t.key, t.value]));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("memeops sweep run with budget.maxDuration (real trials, a real MLflow server)", () => {
  it("stops the running trials at the deadline: MaxDurationReached, Pruned trials KILLED and tagged, children of the sweep's run", async () => {
    const experimentName = uniq("sweep-run");
    const file = join(tmp, "sweep.yaml");
    writeFileSync(file, JSON.stringify({
      apiVersion: "memeops.io/v1alpha1", kind: "MemeSweep", metadata: { name: "timed" },
      spec: {
        trialTemplate: {
          spec: {
            mode: "train",
            dataset: { source: { synthetic: { count: 64, seed: 3, imageSize: 32 } } },
            features: { extractor: "pixels", regions: 4 },
            model: { name: "vilbert_hf", size: "tiny" },
            training: { epochs: 1000, batchSize: 16, warmupSteps: 0, maxSequenceLength: 16, earlyStopping: { patience: 1000, metric: "val_loss" } },
            checks: { enforce: false },
            tracking: { experimentName },
          },
        },
        parameters: [{ path: "training.learningRate", categorical: { values: [0.003, 0.001, 0.0003] } }],
        objective: { metric: "val_loss" },
        algorithm: { grid: {} },
        budget: { maxTrials: 3, parallelism: 2, maxDuration: "20s" },
      },
    }));
    const out = join(tmp, "out");
    const r = spawnSync(process.execPath, ["cli/bin/memeops.mjs", "sweep", "run", file, "--out", out, "--storage", join(tmp, "storage"), "--tracking-uri", uri], {
      encoding: "utf8", env: { ...process.env, MEMEOPS_BACKEND: "wasm" },
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain("timed: MaxDurationReached: the sweep ran for budget.maxDuration (20s); stopping 2 running trial(s)");
    expect(r.stdout).toMatch(/\ntimed: Failed \(MaxDurationReached: the sweep ran for budget\.maxDuration \(20s\)\); 2 pruned; [\d.]+ s\n/);

    const result = JSON.parse(readFileSync(join(out, "sweep.json"), "utf8")) as SweepResult;
    expect(result).toMatchObject({ phase: "Failed", reason: "MaxDurationReached", maxDuration: "20s" });
    expect(result.trials.map((t) => [t.name, t.phase, t.reason, t.pruned?.rule])).toEqual([
      ["timed-t0001", "Pruned", "SweepEnded", "stopped"],
      ["timed-t0002", "Pruned", "SweepEnded", "stopped"],
    ]);
    // nothing left running: every trial's process has exited
    for (const t of result.trials) expect(alive(t.pid!), `${t.name} (pid ${t.pid})`).toBe(false);

    const exp = await api(`experiments/get-by-name?experiment_name=${encodeURIComponent(experimentName)}`);
    const runs = (await api("runs/search", { experiment_ids: [exp.experiment.experiment_id] })).runs as ApiRun[];
    const byName = Object.fromEntries(runs.map((x) => [x.info.run_name, x]));
    expect(Object.keys(byName).sort()).toEqual(["timed", "timed-t0001", "timed-t0002"]);
    const parent = byName.timed!;
    expect(parent.info).toMatchObject({ run_id: result.mlflow!.runId, status: "FAILED" });
    expect(tagsOf(parent)).toMatchObject({ "memeops.io/sweep": "timed" });
    const csv = await (await fetch(`${uri}/get-artifact?path=trials.csv&run_uuid=${parent.info.run_id}`)).text();
    expect(csv).toBe(readFileSync(join(out, "trials.csv"), "utf8"));
    for (const t of result.trials) {
      const run = byName[t.name]!;
      expect(run.info).toMatchObject({ run_id: t.mlflowRunId, status: "KILLED" });
      const p = t.pruned!;
      expect(tagsOf(run)).toMatchObject({
        "mlflow.parentRunId": parent.info.run_id, "memeops.io/experiment": t.name,
        "memeops.pruned": "true", "memeops.pruned.rule": "stopped", "memeops.pruned.epoch": String(p.epoch), "memeops.pruned.compared": "0",
        ...(p.value !== null && { "memeops.pruned.value": String(p.value) }),
      });
    }
  }, 180_000);
});
