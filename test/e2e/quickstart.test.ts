// End to end: `kubectl apply -f conf/experiments/quickstart.yaml` on the test cluster, the operator in this process,
// and the real `memeops trainer` of its Job run by the pod runner as a local process. Nothing is faked between the
// YAML file and the status: the trainer reports over HTTP with a real pod-bound token, writes its termination
// message, exits, and the exit code reaches the pod and the experiment's status through kwok.
import { readFileSync, statSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { CHECK_NAMES } from "../../api/v1alpha1/status.ts";
import { kubeconfig, kubectlJson, kubectlOk, waitFor } from "../cluster/kubectl.ts";
import { condition, getExperiment, type Obj } from "../operator/operator-harness.ts";
import { kubectlAsync } from "./kubectl-async.ts";
import { RUNNER_NODE, type Run } from "./pod-runner.ts";
import { e2eEnvironment } from "./e2e-environment.ts";

// The quickstart learns its synthetic task to a validation AUROC of ~1.0 (README.md, "make demo"); 0.9 leaves room
// for a different seed's run while still failing a model that sits at chance (~0.5-0.6).
const EXPECTED_AUROC = 0.9;
// Two minutes of training on two idle cores; the machine running the tests is shared, so allow many times that.
const TRAINING_TIMEOUT_MS = 15 * 60_000;

const env = e2eEnvironment("memeops-e2e");

const runOf = (pod: string): Run | undefined => [...env.runner.runs.values()].find((r) => r.pod === pod);
const podsOf = (name: string): Obj[] => kubectlJson(["get", "pods", "-n", env.ns, "-l", `memeops.io/experiment=${name}`]).items;
const logTail = (run: Run | undefined) => (run ? readFileSync(run.logFile, "utf8").split("\n").slice(-30).join("\n") : "(not run)");

/** Waits for a terminal phase, remembering whether progress arrived while the trainer was still running. */
async function finish(name: string): Promise<{ done: Obj; liveEpochs: number }> {
  let liveEpochs = 0;
  const done = await waitFor(
    `${name} to finish`,
    () => {
      const e = getExperiment(env.ns, name);
      if (e.status?.phase === "Training") liveEpochs = Math.max(liveEpochs, e.status.epochs?.length ?? 0);
      return ["Succeeded", "Failed"].includes(e.status?.phase) ? e : undefined;
    },
    { timeoutMs: TRAINING_TIMEOUT_MS, intervalMs: 2000 },
  );
  return { done, liveEpochs };
}

describe("end to end: the real trainer behind the operator", () => {
  test("kubectl apply -f conf/experiments/quickstart.yaml ends Succeeded with real metrics, shown by kubectl get memex", async () => {
    // Applied as users apply it: only the namespace is chosen here (and the namespace places its pods).
    await kubectlAsync(kubeconfig(), ["apply", "-f", "conf/experiments/quickstart.yaml", "-n", env.ns]);
    const { done, liveEpochs } = await finish("quickstart");
    const [pod, ...retries] = podsOf("quickstart");
    const run = runOf(pod?.metadata.name);
    expect(done.status.phase, `failure: ${JSON.stringify(done.status.failure)}\ntrainer log:\n${logTail(run)}`).toBe("Succeeded");
    expect(env.runner.errors).toEqual([]);

    // The trainer really ran there, once, with the Job's command.
    expect(retries).toEqual([]);
    expect(pod.spec.nodeName).toBe(RUNNER_NODE);
    expect(run?.plan?.argv.slice(-4)).toEqual(["trainer", "prepare", "train", "evaluate"]);
    expect(run?.exitCode).toBe(0);
    expect(statSync(run!.logFile).size).toBeGreaterThan(0);

    // Progress was pushed while it trained (not only recovered at the end).
    expect(liveEpochs).toBeGreaterThan(0);

    const s = done.status;
    expect(s.epochs.length).toBeGreaterThan(1);
    for (const e of s.epochs) {
      for (const k of ["trainLoss", "valLoss", "valAuroc", "valAccuracy", "valF1"]) expect(Number.isFinite(e[k]), `epoch ${e.epoch} ${k}`).toBe(true);
      expect(e.valAuroc).toBeGreaterThanOrEqual(0);
      expect(e.valAuroc).toBeLessThanOrEqual(1);
    }
    expect(s.bestValAuroc).toBe(Math.max(...s.epochs.map((e: Obj) => e.valAuroc)));
    expect(s.bestValAuroc).toBeGreaterThanOrEqual(EXPECTED_AUROC);
    expect(s.test.auroc).toBeGreaterThanOrEqual(EXPECTED_AUROC);
    const cm = s.test.confusionMatrix;
    expect(cm.tp + cm.tn + cm.fp + cm.fn).toBe(s.test.samples);
    expect(s.test.samples).toBeGreaterThan(0);
    expect(s.checks.map((c: Obj) => c.name).sort()).toEqual([...CHECK_NAMES].sort());
    for (const c of s.checks) expect(c.passed, `${c.name}: ${c.message}`).toBe(true);
    expect(condition(done, "Succeeded").status).toBe("True");

    // The same result is the container's termination message, and the operator let the pod go after recording it.
    const terminated = pod.status.containerStatuses[0].state.terminated;
    expect(terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
    expect(JSON.parse(terminated.message).test.auroc).toBe(s.test.auroc);
    await waitFor("the pod finalizer released", () => !podsOf("quickstart")[0]?.metadata.finalizers?.includes("memeops.io/record-final-state"));

    const table = kubectlOk(["get", "memex", "-n", env.ns]);
    const [header, row] = table.trim().split("\n");
    expect(header).toMatch(/^NAME\s+PHASE\s+MODEL\s+EXTRACTOR\s+EPOCH\s+VAL AUROC\s+TEST AUROC\s+AGE$/);
    const cells = row!.split(/\s{2,}/);
    expect(cells.slice(0, 3)).toEqual(["quickstart", "Succeeded", "vilbert_hf"]);
    expect(Number(cells[5])).toBeCloseTo(s.bestValAuroc, 2);
    expect(Number(cells[6])).toBeCloseTo(s.test.auroc, 2);
  });

  test("an experiment deleted while its trainer trains: the process is stopped, pod and experiment are gone", async () => {
    const manifest = readFileSync("conf/experiments/quickstart.yaml", "utf8").replace(/name: quickstart/, "name: deleted-midway");
    await kubectlAsync(kubeconfig(), ["apply", "-f", "-", "-n", env.ns], { input: manifest });
    await waitFor("training progress", () => getExperiment(env.ns, "deleted-midway").status?.progress?.stage === "train", { timeoutMs: TRAINING_TIMEOUT_MS, intervalMs: 1000 });
    const [pod] = podsOf("deleted-midway");
    const run = runOf(pod.metadata.name);
    expect(run?.exitCode).toBeUndefined();
    await kubectlAsync(kubeconfig(), ["delete", "memex", "deleted-midway", "-n", env.ns, "--wait=false"]);
    await waitFor("the trainer process to end", () => run!.exitCode !== undefined, { timeoutMs: 60_000 });
    expect(run!.killed).toBe(true);
    await waitFor("pod and experiment gone", () => podsOf("deleted-midway").length === 0 && kubectlJson(["get", "memex", "-n", env.ns]).items.every((e: Obj) => e.metadata.name !== "deleted-midway"), { timeoutMs: 60_000 });
    expect(env.runner.errors).toEqual([]);
  });

  test("a dataset that is not there ends Failed with the trainer's exit code and message in status", async () => {
    const missing = "/var/lib/memeops/no-such-memes";
    const manifest = readFileSync("conf/experiments/quickstart.yaml", "utf8")
      .replace(/name: quickstart/, "name: missing-data")
      .replace(/source:\n(\s+)synthetic:\n(?:\1 .*\n)+/, `source:\n$1directory:\n$1  path: ${missing}\n`);
    expect(manifest).toContain(`path: ${missing}`);
    await kubectlAsync(kubeconfig(), ["apply", "-f", "-", "-n", env.ns], { input: manifest });
    const { done } = await finish("missing-data");
    const [pod] = podsOf("missing-data");
    const run = runOf(pod?.metadata.name);
    expect(done.status.phase, `trainer log:\n${logTail(run)}`).toBe("Failed");
    expect(env.runner.errors).toEqual([]);

    expect(run?.exitCode).toBeGreaterThan(0);
    expect(run!.exitCode).not.toBe(128); // 128: the env.runner could not start it, not the trainer's failure
    const terminated = pod.status.containerStatuses[0].state.terminated;
    expect(terminated).toMatchObject({ exitCode: run!.exitCode, reason: "Error" });
    expect(terminated.message).toContain(missing);

    expect(done.status.failure).toMatchObject({ stage: "run", exitCode: run!.exitCode });
    expect(done.status.failure.message).toContain(`container exit code ${run!.exitCode}`);
    expect(done.status.failure.message).toContain(missing);
    expect(condition(done, "Failed").status).toBe("True");
    expect(kubectlOk(["get", "memex", "missing-data", "-n", env.ns, "--no-headers"])).toMatch(/^missing-data\s+Failed\s/);
  });
});
