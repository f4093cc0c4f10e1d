// The running operator's /metrics, after real reconciles with every metric family populated (a success with
// results, a failure, a reported epoch), checked by Prometheus' own promtool (Debian's prometheus package, fetched
// by install-prometheus.sh): no parse error, and no lint problem in a metric of ours.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createNamespace, deleteNamespace, kubeconfig, waitFor } from "../cluster/kubectl.ts";
import { installCrd } from "./crd.ts";
import { apiClient, apply, deleteExperiments, experiment, phaseIs, trainerReporter, type Obj } from "./operator-harness.ts";
import { OperatorProcess, sample } from "./operator-process.ts";
import { succeedPod } from "./fake-kubelet.ts";
import { prometheusBinary } from "./prometheus.ts";
import { driveSweep, final, sweepManifest } from "./sweep-driver.ts";
import { paths } from "../../operator/kube/paths.ts";

/** Metric prefixes the Node client library defines; their lint findings are listed, not failed on. */
const THEIRS = /^(process_|nodejs_)/;

let ns = "";
let op: OperatorProcess;
let promtool = "";
beforeAll(async () => {
  promtool = prometheusBinary("promtool");
  installCrd();
  ns = createNamespace("memeops-promtool");
  op = await OperatorProcess.start({ kubeconfig: kubeconfig(), namespaces: [ns], logFile: join(tmpdir(), `memeops-promtool-${process.pid}.log`) });
});
afterAll(async () => {
  if (ns && op) await deleteExperiments(ns);
  op?.kill("SIGTERM");
  await op?.exited;
  if (ns) deleteNamespace(ns);
});

/** promtool's findings: exit 1 and "error while linting: ..." for a parse error, exit 3 and "<metric> <problem>" lines for lint. */
function checkMetrics(text: string): { code: number; lint: { metric: string; problem: string }[]; errors: string[] } {
  const r = spawnSync(promtool, ["check", "metrics"], { input: text, encoding: "utf8" });
  const lint: { metric: string; problem: string }[] = [];
  const errors: string[] = [];
  for (const line of `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => l.trim())) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (m?.[1] && m[2] && !line.startsWith("error ")) lint.push({ metric: m[1], problem: m[2] });
    else errors.push(line);
  }
  if (r.status !== 0 && r.status !== 3 && errors.length === 0) errors.push(`promtool exited ${r.status}`);
  return { code: r.status ?? 1, lint, errors };
}

describe("promtool", () => {
  test("promtool reports a broken exposition (the check can fail)", () => {
    const r = checkMetrics("# TYPE x counter\nx{a=\"1\" 1\n");
    expect(r.code).toBe(1);
    expect(r.errors.join("\n")).toContain("parsing error");
  });

  test("`promtool check metrics` accepts the running operator's /metrics with every family populated", async () => {
    const client = await apiClient();
    apply(experiment(ns, "good"));
    apply(experiment(ns, "bad", { outcome: "failed", after: "1s" }));
    const pod: Obj = await waitFor("good's pod running", async () => (await client.request<Obj>("GET", paths.pods(ns), { query: { labelSelector: "memeops.io/experiment=good" } })).items.find((p: Obj) => p.status?.phase === "Running"));
    // An epoch reported by the "trainer" (live progress), then its exit 0 with the result as termination message.
    const reporter = trainerReporter(pod, `http://127.0.0.1:${op.ports.report}`);
    expect(await reporter.progress({ stage: "train", epoch: 1, totalEpochs: 1, epochMetrics: { epoch: 1, trainLoss: 0.6, valLoss: 0.62, valAuroc: 0.64, valAccuracy: 0.6, valF1: 0.55 } })).toBe(true);
    const result = { kind: "result", bestEpoch: 1, bestValAuroc: 0.64, test: { auroc: 0.66, accuracy: 0.6, precision: 0.5, recall: 0.5, f1: 0.5, threshold: 0.5, samples: 10, confusionMatrix: { tp: 2, tn: 4, fp: 2, fn: 2 } } };
    await succeedPod(client, pod, JSON.stringify(result));
    await waitFor("good Succeeded", phaseIs(ns, "good", "Succeeded"), { timeoutMs: 90_000 });
    await waitFor("bad Failed", phaseIs(ns, "bad", "Failed"), { timeoutMs: 90_000 });
    // A one-trial sweep whose trial reports an epoch and succeeds: the sweep's gauges.
    apply(sweepManifest(ns, "sw", { budget: { maxTrials: 1 } }));
    await driveSweep(client, ns, "sw", () => ({ epochs: [0.7], end: "succeeded" }), final("Succeeded"), () => `http://127.0.0.1:${op.ports.report}`);

    // The phase gauges are refreshed every 2 s.
    const text = await waitFor("the gauges refreshed", async () => {
      const t = await op.metrics();
      return (sample(t, "memeops_experiments", { phase: "Succeeded" }) ?? 0) >= 1 ? t : undefined;
    }, { timeoutMs: 20_000 });
    expect(sample(text, "memeops_operator_api_requests_total", { verb: "POST" })).toBeGreaterThan(0);
    expect(sample(text, "memeops_operator_leader")).toBe(1); // no leader election: this replica reconciles
    // the per-epoch gauges, from status.epochs as the (only) replica reconciled the report
    expect(sample(text, "memeops_experiment_epoch", { namespace: ns, name: "good" })).toBe(1);
    expect(sample(text, "memeops_experiment_epoch_metric", { namespace: ns, name: "good", metric: "valAuroc" })).toBe(0.64);
    writeFileSync(join(tmpdir(), `memeops-promtool-metrics-${process.pid}.txt`), text);

    // Every family of ours has at least one sample: nothing declared but never exercised here. (The Node client
    // library's own, e.g. GC durations, fill in on their own schedule.)
    const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({ name: m[1] ?? "", type: m[2] ?? "" }));
    const samples = new Set([...text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm)].map((m) => m[1]));
    const empty = families.filter((f) => !THEIRS.test(f.name) && ![f.name, `${f.name}_bucket`, `${f.name}_count`, `${f.name}_total`].some((n) => samples.has(n))).map((f) => f.name);
    expect(empty, "families without samples").toEqual([]);
    expect(families.length).toBeGreaterThan(20);
    expect(sample(text, "memeops_experiment_test_auroc", { namespace: ns, name: "good" })).toBe(0.66);
    expect(sample(text, "memeops_experiment_val_auroc", { namespace: ns, name: "good" })).toBe(0.64);
    expect(sample(text, "memeops_job_duration_seconds_count")).toBe(3);
    expect(sample(text, "memeops_sweep_trials", { namespace: ns, sweep: "sw", phase: "Succeeded" })).toBe(1);
    expect(sample(text, "memeops_sweep_best_value", { namespace: ns, sweep: "sw", metric: "val_auroc" })).toBe(0.7);

    const r = checkMetrics(text);
    const ours = r.lint.filter((l) => !THEIRS.test(l.metric));
    const theirs = r.lint.filter((l) => THEIRS.test(l.metric));
    console.log(`[promtool] ${families.length} families; lint findings in ours: ${ours.length}; in the Node client library's: ${theirs.length}${theirs.map((l) => `\n  ${l.metric}: ${l.problem}`).join("")}`);
    expect(r.errors).toEqual([]);
    expect(ours).toEqual([]);
    if (r.lint.length === 0) expect(r.code).toBe(0);
  });
});
