// MemeSweeps against the real control plane: the operator creates the trials (MemeExperiments), the real Job
// controller and kwok run their pods, and this test plays each trial's trainer: it reports per-epoch metrics through
// the operator's report endpoint (with a pod-bound token, as a trainer does) and ends the pod (succeeded, or failed /
// OOMKilled through kwok's outcome label). What a trial reports is a function of its parameters or index, so the
// best trial and the pruned ones are known in advance.
import { describe, expect, test } from "vitest";
import { kubectl, kubectlJson, kubectlOk, waitFor } from "../cluster/kubectl.ts";
import { apiClient, apply, operatorPerFile, type Obj } from "./operator-harness.ts";
import { driveSweep, final, sweepManifest, type Act, type Behaviour } from "./sweep-driver.ts";
import type { KubeClient } from "../../operator/kube/client.ts";
import { memeSweepSpec } from "../../api/v1alpha1/sweep-spec.ts";
import { statusBound } from "../../api/v1alpha1/sweep-status-budget.ts";

const env = operatorPerFile("memeops-sweep");
const sweep = (name: string, spec: Record<string, unknown>) => sweepManifest(env.ns, name, spec);
const drive = (client: KubeClient, name: string, behaviour: Behaviour, done: (s: Obj) => boolean) =>
  driveSweep(client, env.ns, name, behaviour, done, () => `http://127.0.0.1:${env.op.ports.report}`);

const getSweep = (name: string): Obj => kubectlJson(["get", "memesweep", name, "-n", env.ns]);
const trialsOf = (name: string): Obj[] => kubectlJson(["get", "memex", "-n", env.ns, "-l", `memeops.io/sweep=${name}`]).items;
const score = (lr: number) => Math.round((0.95 - Math.abs(lr - 0.05) * 4) * 1e4) / 1e4;

describe("MemeSweep", () => {
  test("a 12-trial random sweep, 3 at a time, ends Succeeded with the best trial; raising maxTrials resumes it", { timeout: 300_000 }, async () => {
    const client = await apiClient();
    apply(sweep("rand", { budget: { maxTrials: 12, parallelism: 3 } }));
    const lr = (t: { parameters: Obj }) => t.parameters["training.learningRate"] as number;
    const behaviour: Behaviour = (t) => ({ epochs: [score(lr(t)) - 0.1, score(lr(t))], end: "succeeded" });
    const { sweep: done, maxLive } = await drive(client, "rand", behaviour, final("Succeeded"));

    expect(maxLive).toBeLessThanOrEqual(3);
    expect(maxLive).toBeGreaterThanOrEqual(2);
    const trials: Obj[] = done.status.trials;
    expect(trials.map((t) => t.name)).toEqual(Array.from({ length: 12 }, (_, i) => `rand-t${String(i + 1).padStart(4, "0")}`));
    expect(new Set(trials.map((t) => lr(t))).size).toBe(12);
    expect(trials.every((t) => t.phase === "Succeeded")).toBe(true);
    const best = trials.reduce((a, b) => (score(lr(b)) > score(lr(a)) ? b : a));
    expect(done.status.bestTrial).toMatchObject({ name: best.name, value: score(lr(best)), epoch: 2, parameters: best.parameters });
    expect(done.status).toMatchObject({ trialsCreated: 12, running: 0, counts: { succeeded: 12, failed: 0, pruned: 0 } });
    expect(done.status.conditions.find((c: Obj) => c.type === "Succeeded")).toMatchObject({ status: "True", reason: "BudgetExhausted" });
    // owned trials, labelled with their sweep and index
    const t1 = trialsOf("rand").find((e) => e.metadata.name === "rand-t0001");
    expect(t1.metadata.ownerReferences[0]).toMatchObject({ kind: "MemeSweep", name: "rand", controller: true });
    expect(t1.metadata.labels["memeops.io/trial-index"]).toBe("0");
    expect(t1.spec.training.learningRate).toBe(lr(trials[0]));
    expect(kubectlOk(["get", "memesweep", "rand", "-n", env.ns, "--no-headers"])).toMatch(new RegExp(`^rand\\s+Succeeded\\s+12\\s+0\\s+${best.name}\\s+${score(lr(best))}`));

    // maxTrials may only grow, and growing it resumes the finished sweep with new trials
    expect(kubectl(["patch", "memesweep", "rand", "-n", env.ns, "--type=merge", "-p", '{"spec":{"budget":{"maxTrials":11}}}']).stderr).toContain("cannot go below the trials already created");
    kubectlOk(["patch", "memesweep", "rand", "-n", env.ns, "--type=merge", "-p", '{"spec":{"budget":{"maxTrials":14}}}']);
    const { sweep: again } = await drive(client, "rand", behaviour, (s) => final("Succeeded")(s) && s.status.trialsCreated === 14);
    expect(again.status.trials.map((t: Obj) => t.name).slice(12)).toEqual(["rand-t0013", "rand-t0014"]);
    expect(again.status.trials.slice(0, 12)).toEqual(trials);
    expect(again.status.counts.succeeded).toBe(14);
  });

  test("median pruning stops the trial whose curve falls below the other trials' median, with the numbers", { timeout: 240_000 }, async () => {
    const client = await apiClient();
    apply(sweep("prune", { budget: { maxTrials: 3, parallelism: 3 }, earlyStopping: { median: { warmupEpochs: 1, minTrials: 2 } } }));
    const behaviour: Behaviour = (t, s) => {
      if (t.index < 2) return { epochs: [0.8, 0.9, 0.92], end: "succeeded" };
      // the third reports once the other two have finished: below their median at epoch 2
      return s.status?.counts?.succeeded === 2 ? { epochs: [0.7, 0.6], end: "hold" } : undefined;
    };
    const { sweep: done } = await drive(client, "prune", behaviour, final("Succeeded"));
    const pruned = done.status.trials.find((t: Obj) => t.index === 2);
    // the rule compares the best value up to the epoch (0.7) with the median of the others at that epoch (0.9)
    expect(pruned).toMatchObject({ name: "prune-t0003", phase: "Pruned", epoch: 2, value: 0.7, reason: "median" });
    expect(done.status.counts).toMatchObject({ succeeded: 2, pruned: 1 });
    const exp = kubectlJson(["get", "memex", "prune-t0003", "-n", env.ns]);
    expect(exp.status.phase).toBe("Pruned");
    expect(exp.status.pruned).toMatchObject({ rule: "median", epoch: 2, value: 0.7, threshold: 0.9, compared: 2 });
    expect(exp.status.conditions.find((c: Obj) => c.type === "Pruned")).toMatchObject({ status: "True", reason: "MedianRule" });
    await waitFor("the pruned trial's Job gone", () => kubectlJson(["get", "jobs", "-n", env.ns, "-l", "memeops.io/experiment=prune-t0003"]).items.length === 0);
    for (const name of ["prune-t0001", "prune-t0002"]) expect(kubectlJson(["get", "memex", name, "-n", env.ns]).status.phase).toBe("Succeeded");
  });

  test("an OOMKilled trial is Infeasible and the sweep goes on; maxFailedTrials fails the sweep and stops the rest; deleting it deletes its trials", { timeout: 240_000 }, async () => {
    const client = await apiClient();
    apply(sweep("fails", { budget: { maxTrials: 6, parallelism: 2, maxFailedTrials: 1 } }));
    const ends: Act["end"][] = ["oomkilled", "failed", "failed", "hold"];
    const behaviour: Behaviour = (t, s) => {
      // the last trial holds its pod until the second failure, so the sweep's end has something to stop
      if (t.index === 2 && !(s.status?.trials ?? []).some((x: Obj) => x.index === 3 && x.phase === "Running")) return undefined;
      return { epochs: [0.6], end: ends[t.index] ?? "hold" };
    };
    const { sweep: done } = await drive(client, "fails", behaviour, final("Failed"));
    const byIndex = (i: number) => done.status.trials.find((t: Obj) => t.index === i);
    expect(byIndex(0)).toMatchObject({ phase: "Infeasible", reason: "OOMKilled" });
    expect(byIndex(1)).toMatchObject({ phase: "Failed" });
    expect(byIndex(2)).toMatchObject({ phase: "Failed" });
    expect(done.status.conditions.find((c: Obj) => c.type === "Failed")).toMatchObject({ status: "True", reason: "TooManyFailedTrials" });
    expect(done.status.trialsCreated).toBe(4);
    // the running trial is stopped: Pruned by the sweep's end, its Job gone, nothing left running
    const stopped = await waitFor("the live trial stopped", () => {
      const e = kubectlJson(["get", "memex", "fails-t0004", "-n", env.ns]);
      return e.status?.phase === "Pruned" ? e : undefined;
    });
    expect(stopped.status.pruned).toMatchObject({ rule: "stopped", epoch: 1 });
    await waitFor("no Job of the sweep left", () => kubectlJson(["get", "jobs", "-n", env.ns]).items.every((j: Obj) => !j.metadata.name.startsWith("fails-t0004")));
    await waitFor("the sweep's entry says so", () => getSweep("fails").status.trials.find((t: Obj) => t.index === 3)?.phase === "Pruned");

    kubectlOk(["delete", "memesweep", "fails", "-n", env.ns, "--wait=false"]);
    await waitFor("the trials gone with their sweep", () => trialsOf("fails").length === 0, { timeoutMs: 60_000 });
  });

  test("values the MemeExperiment schema refuses: InvalidSpec naming the field, no trial", async () => {
    apply(sweep("badvalues", { parameters: [{ path: "training.learningRate", logUniform: { min: 0.001, max: 2 } }] }));
    const s = await waitFor("InvalidSpec", () => {
      const x = getSweep("badvalues");
      return x.status?.conditions?.find((c: Obj) => c.type === "InvalidSpec")?.status === "True" ? x : undefined;
    });
    expect(s.status.phase).toBe("Failed");
    expect(s.status.conditions.find((c: Obj) => c.type === "InvalidSpec").message).toContain("spec.parameters[0].logUniform.max: training.learningRate = 2 is refused");
    expect(trialsOf("badvalues")).toEqual([]);
  });

  test("maxTrials patched over the status budget: InvalidSpec naming spec.budget.maxTrials, nothing created or lost; patched back, the sweep goes on", { timeout: 240_000 }, async () => {
    const client = await apiClient();
    // long values in fields a kwok trial never reads make each trial's entry about 2.6 KiB at most
    const fixed = (path: string, value: string) => ({ path, categorical: { values: [value] } });
    const parameters = [
      { path: "training.learningRate", uniform: { min: 0.001, max: 0.1 } },
      fixed("dataset.layout.annotations", "a".repeat(253)),
      fixed("dataset.layout.images", "b".repeat(253)),
      fixed("tracking.experimentName", "\u{1F600}".repeat(100)),
      ...["id", "image", "text", "label"].map((f) => fixed(`dataset.layout.fields.${f}`, f[0]!.repeat(200))),
    ];
    apply(sweep("budget", { parameters, budget: { maxTrials: 2, parallelism: 2 } }));
    const behaviour: Behaviour = () => ({ epochs: [0.7, 0.8], end: "succeeded" });
    const { sweep: done } = await drive(client, "budget", behaviour, final("Succeeded"));
    const largest = statusBound(memeSweepSpec.parse(done.spec)).largestMaxTrials;
    expect(largest).toBeGreaterThan(3);
    expect(largest).toBeLessThan(500);
    const invalidSpec = (s: Obj) => s.status?.conditions?.find((c: Obj) => c.type === "InvalidSpec");

    // the API server admits it (its CEL cannot weigh the values); the operator refuses it and creates nothing
    kubectlOk(["patch", "memesweep", "budget", "-n", env.ns, "--type=merge", "-p", JSON.stringify({ spec: { budget: { maxTrials: largest + 1 } } })]);
    const refused = await waitFor("InvalidSpec for the new generation", () => {
      const x = getSweep("budget");
      return invalidSpec(x)?.status === "True" && invalidSpec(x).observedGeneration === x.metadata.generation ? x : undefined;
    });
    expect(invalidSpec(refused).message).toContain(`spec.budget.maxTrials: ${largest + 1} trials could make the sweep's status`);
    expect(invalidSpec(refused).message).toContain(`these parameters allow spec.budget.maxTrials up to ${largest}`);
    expect(refused.status.phase).toBe("Failed");
    for (const key of ["trials", "trialsCreated", "bestTrial", "counts", "startTime"]) expect(refused.status[key]).toEqual(done.status[key]);
    expect(trialsOf("budget").map((e) => e.metadata.name).sort()).toEqual(["budget-t0001", "budget-t0002"]);

    // back within the budget: the condition clears and the sweep goes on from what it recorded
    kubectlOk(["patch", "memesweep", "budget", "-n", env.ns, "--type=merge", "-p", '{"spec":{"budget":{"maxTrials":3}}}']);
    const { sweep: again } = await drive(client, "budget", behaviour, (s) => final("Succeeded")(s) && s.status.trialsCreated === 3);
    expect(invalidSpec(again)).toMatchObject({ status: "False", observedGeneration: again.metadata.generation });
    expect(again.status.trials.slice(0, 2)).toEqual(done.status.trials);
    expect(again.status.trials[2]).toMatchObject({ name: "budget-t0003", phase: "Succeeded" });
  });

  test("suspend: no new trial, the running ones suspended (their Jobs too); resuming goes on", { timeout: 180_000 }, async () => {
    const client = await apiClient();
    apply(sweep("pause", { budget: { maxTrials: 3, parallelism: 2 } }));
    await waitFor("two trials running", () => trialsOf("pause").filter((e) => ["Preparing", "Training"].includes(e.status?.phase)).length === 2, { timeoutMs: 60_000 });
    kubectlOk(["patch", "memesweep", "pause", "-n", env.ns, "--type=merge", "-p", '{"spec":{"suspend":true}}']);
    const s = await waitFor("Suspended", () => {
      const x = getSweep("pause");
      return x.status?.phase === "Suspended" ? x : undefined;
    });
    expect(s.status.conditions.find((c: Obj) => c.type === "Suspended")).toMatchObject({ status: "True", observedGeneration: 2 });
    await waitFor("trials and Jobs suspended", () =>
      trialsOf("pause").every((e) => e.spec.suspend === true) && kubectlJson(["get", "jobs", "-n", env.ns, "-l", "memeops.io/experiment"]).items.filter((j: Obj) => j.metadata.name.startsWith("pause-")).every((j: Obj) => j.spec.suspend === true));
    expect(trialsOf("pause")).toHaveLength(2);
    kubectlOk(["patch", "memesweep", "pause", "-n", env.ns, "--type=merge", "-p", '{"spec":{"suspend":false}}']);
    await drive(client, "pause", () => ({ epochs: [0.7], end: "succeeded" }), final("Succeeded"));
    expect(trialsOf("pause").map((e) => e.metadata.name).sort()).toEqual(["pause-t0001", "pause-t0002", "pause-t0003"]);
  });
});
