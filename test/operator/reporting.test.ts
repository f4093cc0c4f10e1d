// Trainer reporting against the real API server's TokenReview: a pod-bound token (audience memeops) of a trainer pod
// may write progress and results; anything else is refused. Also: /metrics parses as Prometheus text.
import { describe, expect, test } from "vitest";
import { kubectlJson, kubectlOk, waitFor } from "../cluster/kubectl.ts";
import { apply, condition, experiment, getExperiment, phaseIs, operatorPerFile, trainerReporter, type Obj } from "./operator-harness.ts";
import { sample } from "./operator-process.ts";
import { Reporter } from "../../trainer-image/src/stages/reporter.ts";

const env = operatorPerFile("memeops-report");

const url = () => `http://127.0.0.1:${env.op.ports.report}`;
const post = (token: string, body: unknown) =>
  fetch(`${url()}/v1/report`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });

const epoch = (n: number, auroc: number) => ({ epoch: n, trainLoss: 0.6, valLoss: 0.65, valAuroc: auroc, valAccuracy: 0.6, valF1: 0.55 });
const result = {
  test: { auroc: 0.71, accuracy: 0.66, precision: 0.6, recall: 0.5, f1: 0.55, threshold: 0.5, samples: 100, confusionMatrix: { tp: 20, tn: 46, fp: 14, fn: 20 } },
  checks: [{ name: "better_than_random" as const, passed: true, value: 0.71, threshold: 0.5, message: "AUROC 0.71 > 0.5" }],
  checkpointUri: "pvc://memeops/ckpt/best",
};

const scrape = async () => (await fetch(`http://127.0.0.1:${env.op.ports.metrics}/metrics`)).text();

/**
 * A strict line grammar of the text format 0.0.4 (promtool is not installed on these machines), with no NaN value in
 * any spelling: the format allows `NaN`, but prom-client writes NaN as `Nan` (which the grammar refuses) and the
 * operator exports a metric without a value as no series at all.
 */
function expectExpositionText(text: string): void {
  const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)( -?\d+)?$/;
  const meta = /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$/;
  for (const line of text.split("\n").filter(Boolean)) {
    expect(sample.test(line) || meta.test(line), line).toBe(true);
    expect(/ nan( -?\d+)?$/i.test(line), line).toBe(false);
  }
}

describe("reporting", () => {
  test("a trainer pod's token writes progress and results; other tokens are refused", async () => {
    apply(experiment(env.ns, "rep", { outcome: "succeeded", after: "8s" }));
    const pod: Obj = await waitFor("pod running", () => kubectlJson(["get", "pods", "-n", env.ns, "-l", "memeops.io/experiment=rep"]).items.find((p: Obj) => p.status.phase === "Running"));
    const bound = kubectlOk(["create", "token", "default", "-n", env.ns, "--audience", "memeops", "--bound-object-kind", "Pod", "--bound-object-name", pod.metadata.name, "--bound-object-uid", pod.metadata.uid]).trim();
    const unbound = kubectlOk(["create", "token", "default", "-n", env.ns, "--audience", "memeops"]).trim();
    const wrongAudience = kubectlOk(["create", "token", "default", "-n", env.ns, "--bound-object-kind", "Pod", "--bound-object-name", pod.metadata.name, "--bound-object-uid", pod.metadata.uid]).trim();

    expect((await post("", { kind: "progress", stage: "train" })).status).toBe(401);
    expect((await post(wrongAudience, { kind: "progress", stage: "train" })).status).toBe(401);
    expect((await post(unbound, { kind: "progress", stage: "train" })).status).toBe(401);
    expect((await post(bound, { kind: "progress", stage: "nope" })).status).toBe(400);

    // the trainer's own client, as `memeops trainer` uses it
    const tokenFile = `/tmp/memeops-report-token-${env.ns}`;
    (await import("node:fs")).writeFileSync(tokenFile, bound);
    const reporter = new Reporter({ url: url(), tokenFile });
    expect(await reporter.progress({ stage: "train", epoch: 1, totalEpochs: 3, epochMetrics: epoch(1, 0.62) })).toBe(true);
    expect(await reporter.progress({ stage: "train", epoch: 2, totalEpochs: 3, message: "step 40/100", epochMetrics: epoch(2, 0.68) })).toBe(true);
    // The report writes progress; the phase follows it at the next reconcile (which also emits the transition's Event).
    const mid = await waitFor("Training", phaseIs(env.ns, "rep", "Training"), { timeoutMs: 20_000 });
    expect(mid.status.progress).toMatchObject({ stage: "train", epoch: 2, totalEpochs: 3, message: "step 40/100" });
    expect(mid.status.epochs.map((e: Obj) => e.epoch)).toEqual([1, 2]);
    expect(mid.status).toMatchObject({ bestEpoch: 2, bestValAuroc: 0.68 });
    expect(await reporter.result(result)).toBe(true);

    const done = await waitFor("Succeeded", phaseIs(env.ns, "rep", "Succeeded"), { timeoutMs: 60_000 });
    expect(done.status.test.confusionMatrix).toEqual(result.test.confusionMatrix);
    expect(done.status.checks[0]).toMatchObject({ name: "better_than_random", passed: true });
    expect(done.status.checkpointUri).toBe(result.checkpointUri);
    expect(condition(done, "Succeeded").status).toBe("True");
    expect(kubectlOk(["get", "memex", "rep", "-n", env.ns, "--no-headers"])).toMatch(/Succeeded.*\s2\s+0\.68\s+0\.71/);
  });

  test("a dependent experiment waits for its dependency, then starts from its checkpoint", async () => {
    apply(experiment(env.ns, "child", { outcome: "succeeded", spec: { mode: "evaluate", model: { name: "vilbert_hf", size: "tiny", initialWeights: { fromExperiment: "parent" } } } }));
    const waiting = await waitFor("WaitingForDependency", () => {
      const e = kubectlJson(["get", "memex", "child", "-n", env.ns]);
      return condition(e, "WaitingForDependency")?.status === "True" ? e : undefined;
    });
    expect(condition(waiting, "WaitingForDependency").reason).toBe("DependencyNotFound");
    expect(kubectlJson(["get", "jobs", "-n", env.ns, "-l", "memeops.io/experiment=child"]).items).toEqual([]);
  });

  test("/metrics is valid Prometheus text with the controller and domain metrics", async () => {
    const text = await scrape();
    expectExpositionText(text);
    for (const name of ["controller_runtime_reconcile_total", "controller_runtime_reconcile_time_seconds_bucket", "workqueue_adds_total", "workqueue_depth", "memeops_experiments", "memeops_epochs_completed_total", "memeops_experiment_val_auroc"]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/memeops_epochs_completed_total 2/);
    const health = await fetch(`http://127.0.0.1:${env.op.ports.health}/readyz`);
    expect(health.status).toBe(200);
  });

  test("a one-class validation split: epochs without AUROC keep their other metrics and reasons, never the best; no series for them", async () => {
    // the pod runs long enough for the reports below, even on a loaded machine (its token dies with it)
    apply(experiment(env.ns, "oneclass", { outcome: "succeeded", after: "25s" }));
    const pod: Obj = await waitFor("pod running", () => kubectlJson(["get", "pods", "-n", env.ns, "-l", "memeops.io/experiment=oneclass"]).items.find((p: Obj) => p.status.phase === "Running"));
    const reporter = trainerReporter(pod, url());
    const reportsBefore = sample(await scrape(), "memeops_epochs_completed_total") ?? 0;
    const valAurocWhy = "AUROC is undefined: the validation split holds one class only";
    const oneClass = (n: number, valLoss: number) => ({ epoch: n, trainLoss: 0.7 - n / 100, valLoss, valAccuracy: 1, valF1: 0, undefinedBecause: { valAuroc: valAurocWhy } });
    const epochs = [oneClass(1, 0.66), oneClass(2, 0.61)];
    for (const e of epochs) expect(await reporter.progress({ stage: "train", epoch: e.epoch, totalEpochs: 2, epochMetrics: e })).toBe(true);

    const mid = getExperiment(env.ns, "oneclass");
    expect(mid.status.epochs).toEqual(epochs);
    expect(mid.status.bestEpoch).toBeUndefined();
    expect(mid.status.bestValAuroc).toBeUndefined();
    // The gauges come from the leader's next reconcile of the status.
    const of = (metric?: string) => ({ namespace: env.ns, name: "oneclass", ...(metric && { metric }) });
    const midText = await waitFor("the epoch 2 gauge", async () => {
      const t = await scrape();
      return sample(t, "memeops_experiment_epoch", of()) === 2 ? t : undefined;
    });
    expectExpositionText(midText);
    expect(sample(midText, "memeops_experiment_epoch_metric", of("valLoss"))).toBe(0.61);
    expect(sample(midText, "memeops_experiment_epoch_metric", of("valAccuracy"))).toBe(1);
    expect(sample(midText, "memeops_experiment_epoch_metric", of("valAuroc"))).toBeUndefined();
    expect(sample(midText, "memeops_experiment_val_auroc", of())).toBeUndefined();
    expect(sample(midText, "memeops_epochs_completed_total")).toBe(reportsBefore + 2);

    // The test split is one class too: no test AUROC, its reason instead.
    const testAurocWhy = "AUROC is undefined: the test split holds one class only";
    const { auroc: _, ...withoutAuroc } = result.test;
    expect(await reporter.result({ test: { ...withoutAuroc, undefinedBecause: { auroc: testAurocWhy } }, checkpointUri: result.checkpointUri })).toBe(true);
    const done = await waitFor("Succeeded", phaseIs(env.ns, "oneclass", "Succeeded"), { timeoutMs: 60_000 });
    expect(done.status.test).toEqual({ ...withoutAuroc, undefinedBecause: { auroc: testAurocWhy } });
    expect(done.status.epochs).toEqual(epochs);
    expect(done.status.bestEpoch).toBeUndefined();
    expect(done.status.bestValAuroc).toBeUndefined();
    expect(condition(done, "Succeeded").status).toBe("True");

    const endText = await waitFor("the leader counted it Succeeded", async () => {
      const t = await scrape();
      return (sample(t, "memeops_experiments", { phase: "Succeeded" }) ?? 0) >= 2 ? t : undefined;
    });
    expectExpositionText(endText);
    expect(sample(endText, "memeops_experiment_epoch_metric", of("valLoss"))).toBe(0.61);
    expect(sample(endText, "memeops_experiment_epoch_metric", of("valAuroc"))).toBeUndefined();
    expect(sample(endText, "memeops_experiment_val_auroc", of())).toBeUndefined();
    expect(sample(endText, "memeops_experiment_test_auroc", of())).toBeUndefined();
    // "rep" (earlier in this file) had AUROCs: its series are there, so absence above is about this experiment only
    expect(sample(endText, "memeops_experiment_test_auroc", { namespace: env.ns, name: "rep" })).toBe(0.71);
  });
});
