// Two operator processes on one Lease: only the leader reconciles (its identity is on every Event, the standby's
// reconcile counter stays at zero although its caches are synced); SIGKILL the leader and the standby takes over
// once the lease has run out, not before, and finishes the work; SIGTERM releases the Lease so the next replica
// takes over at once. Only the leader exports the experiment-level series (phase counts, and the experiment gauges
// from the status whichever replica received the trainer's report), so sum() across replicas counts each experiment
// once; a standby exports none; memeops_operator_leader says which replica leads.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNamespace, deleteNamespace, kubeconfig, kubectlJson, waitFor } from "../cluster/kubectl.ts";
import { installCrd } from "./crd.ts";
import { apply, deleteExperiments, experiment, getExperiment, phaseIs, trainerReporter, type Obj } from "./operator-harness.ts";
import { OperatorProcess, sample, type LogLine } from "./operator-process.ts";

const LEASE_MS = 8_000;
const RENEW_DEADLINE_MS = 6_000;
const RETRY_MS = 1_000;

let ns = "";
const logPrefix = join(tmpdir(), `memeops-leader-${process.pid}`);
const procs: OperatorProcess[] = [];

beforeAll(() => {
  installCrd();
  ns = createNamespace("memeops-leader");
  console.log(`[leader] namespace ${ns}; operator logs ${logPrefix}-{a,b,c}.log`);
});
afterAll(async () => {
  // the last replica still running finalizes the experiments
  if (ns) await deleteExperiments(ns);
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  if (ns) deleteNamespace(ns);
});

async function replica(label: string): Promise<OperatorProcess> {
  const p = await OperatorProcess.start({
    kubeconfig: kubeconfig(),
    namespaces: [ns],
    args: ["--leader-elect", "--leader-election-namespace", ns],
    env: { MEMEOPS_LEASE_DURATION_MS: String(LEASE_MS), MEMEOPS_RENEW_DEADLINE_MS: String(RENEW_DEADLINE_MS), MEMEOPS_RETRY_PERIOD_MS: String(RETRY_MS) },
    logFile: `${logPrefix}-${label}.log`,
  });
  procs.push(p);
  return p;
}

const identity = (p: OperatorProcess) => p.lines.find((l) => l.msg === "operator started")?.identity as string;
const becameLeader = (l: LogLine) => l.msg === "became leader";
const holder = () => kubectlJson(["get", "lease", "memeops-operator", "-n", ns]).spec.holderIdentity as string | undefined;
const reconciles = async (p: OperatorProcess) => sample(await p.metrics(), "controller_runtime_reconcile_total") ?? 0;
/** the replicas that wrote the Events of an experiment */
const writers = (name: string): string[] => [
  ...new Set<string>(kubectlJson(["get", "events", "-n", ns, "--field-selector", `involvedObject.name=${name}`]).items.filter((e: Obj) => e.reportingComponent === "memeops-operator").map((e: Obj) => e.reportingInstance)),
];
const leaderGauge = async (p: OperatorProcess) => sample(await p.metrics(), "memeops_operator_leader");
/** the labels of the "live" experiment's series */
const live = () => ({ namespace: ns, name: "live" });
/** Series about experiments (memeops_experiments, memeops_experiment_*; not the counters): the leader's alone. */
const experimentSeriesIn = (text: string) => text.split("\n").filter((l) => /^memeops_experiments?(_[a-z_]+)?[{ ]/.test(l) && !/_total[{ ]/.test(l));
const experimentSeries = async (p: OperatorProcess) => experimentSeriesIn(await p.metrics());
const phaseCount = async (p: OperatorProcess, phase: string) => sample(await p.metrics(), "memeops_experiments", { phase }) ?? 0;
const readyz = async (p: OperatorProcess) => (await fetch(`http://127.0.0.1:${p.ports.health}/readyz`)).status;

describe("leader election", () => {
  test("only the leader reconciles; SIGKILL: the standby takes over after the lease runs out; SIGTERM: at once", { timeout: 600_000 }, async () => {
    const [a, b] = await Promise.all([replica("a"), replica("b")]);
    const first = await waitFor("a leader", () => [a, b].find((p) => p.lines.some(becameLeader)), { timeoutMs: 30_000 });
    const standby = first === a ? b : a;
    expect(holder()).toBe(identity(first));

    // Work done while both run: all by the leader.
    apply(experiment(ns, "one", { outcome: "succeeded", after: "1s" }));
    await waitFor("one Succeeded", phaseIs(ns, "one", "Succeeded"), { timeoutMs: 90_000 });
    await waitFor("the standby's caches synced", async () => (await readyz(standby)) === 200);
    await new Promise((r) => setTimeout(r, 2_500)); // the standby had its chance to (wrongly) act on the same events
    expect(standby.lines.some(becameLeader)).toBe(false);
    expect(await reconciles(first)).toBeGreaterThan(0);
    expect(await reconciles(standby)).toBe(0);
    expect(standby.lines.filter((l) => l.msg === "event")).toEqual([]);
    expect(writers("one")).not.toContain(identity(standby)); // a success writes no Event; "two" and "three" fail and do
    expect(await leaderGauge(first)).toBe(1);
    expect(await leaderGauge(standby)).toBe(0);
    // Phase counts from the leader only, so sum() across the replicas counts "one" once.
    await waitFor("the leader's phase counts", async () => phaseCount(first, "Succeeded").then((n) => n === 1));
    expect(await experimentSeries(standby)).toEqual([]);
    expect((await phaseCount(first, "Succeeded")) + (await phaseCount(standby, "Succeeded"))).toBe(1);

    // A trainer's epoch reported to the standby: it writes the status, the leader exports the gauges.
    apply(experiment(ns, "live"));
    const pod: Obj = await waitFor("live's pod running", () => kubectlJson(["get", "pods", "-n", ns, "-l", "memeops.io/experiment=live"]).items.find((p: Obj) => p.status?.phase === "Running"));
    const epoch = { epoch: 1, trainLoss: 0.6, valLoss: 0.62, valAuroc: 0.71, valAccuracy: 0.6, valF1: 0.55 };
    expect(await trainerReporter(pod, `http://127.0.0.1:${standby.ports.report}`).progress({ stage: "train", epoch: 1, totalEpochs: 2, epochMetrics: epoch })).toBe(true);
    expect(getExperiment(ns, "live").status.epochs).toEqual([epoch]);
    await waitFor("the leader's epoch gauge", async () => sample(await first.metrics(), "memeops_experiment_epoch", live()) === 1);
    expect(sample(await first.metrics(), "memeops_experiment_epoch_metric", { ...live(), metric: "valAuroc" })).toBe(0.71);
    const standbyText = await standby.metrics();
    expect(sample(standbyText, "memeops_experiment_epoch", live())).toBeUndefined();
    expect(sample(standbyText, "memeops_experiment_epoch_metric", live())).toBeUndefined();
    expect(sample(standbyText, "memeops_epochs_completed_total")).toBe(1); // the report itself was the standby's
    expect(experimentSeriesIn(standbyText)).toEqual([]);

    // SIGKILL: no release, so the standby must wait for the lease to expire, then take over and finish new work.
    first.kill("SIGKILL");
    const killedAt = Date.now();
    await first.exited;
    apply(experiment(ns, "two", { outcome: "failed", after: "1s" }));
    await standby.waitForLog(becameLeader, LEASE_MS + 30_000);
    const takeover = Date.now() - killedAt;
    console.log(`[leader] takeover after SIGKILL: ${takeover} ms (lease ${LEASE_MS} ms, retry ${RETRY_MS} ms)`);
    // Not before the lease could have expired (the leader renewed at most one retry period before dying) ...
    expect(takeover).toBeGreaterThanOrEqual(LEASE_MS - RETRY_MS - 500);
    // ... and within the lease plus two retry periods, with slack for a busy 2-core machine.
    expect(takeover).toBeLessThanOrEqual(LEASE_MS + 2 * RETRY_MS + 5_000);
    expect(holder()).toBe(identity(standby));
    const two = await waitFor("two Failed", phaseIs(ns, "two", "Failed"), { timeoutMs: 90_000 });
    expect(two.status.failure).toMatchObject({ reason: "BackoffLimitExceeded", exitCode: 1 });
    expect(writers("two")).toEqual([identity(standby)]);
    // the new leader exports what the status holds, without a new report
    expect(await leaderGauge(standby)).toBe(1);
    await waitFor("the new leader's epoch gauge", async () => sample(await standby.metrics(), "memeops_experiment_epoch_metric", { ...live(), metric: "valAuroc" }) === 0.71);
    await waitFor("the new leader's phase counts", async () => phaseCount(standby, "Failed").then((n) => n === 1));

    // SIGTERM: the leader drains, hands the Lease back and exits 0; a new replica takes over without waiting it out.
    const c = await replica("c");
    await waitFor("c's caches synced", async () => (await readyz(c)) === 200);
    expect(c.lines.some(becameLeader)).toBe(false);
    expect(await experimentSeries(c)).toEqual([]);
    standby.kill("SIGTERM");
    const termAt = Date.now();
    const exit = await Promise.race([standby.exited, new Promise((r) => setTimeout(() => r("still running"), 20_000))]);
    expect(exit).toEqual({ code: 0, signal: null });
    const exitMs = Date.now() - termAt;
    console.log(`[leader] SIGTERM to exit: ${exitMs} ms`);
    expect(exitMs).toBeLessThan(5_000);
    expect(standby.lines.some((l) => l.msg === "released leadership")).toBe(true);
    await c.waitForLog(becameLeader, LEASE_MS);
    const handover = Date.now() - termAt;
    console.log(`[leader] takeover after SIGTERM: ${handover} ms`);
    expect(handover).toBeLessThan(LEASE_MS - RETRY_MS - 500);
    expect(holder()).toBe(identity(c));
    apply(experiment(ns, "three", { outcome: "oomkilled", after: "1s" }));
    const three = await waitFor("three Failed", phaseIs(ns, "three", "Failed"), { timeoutMs: 90_000 });
    expect(three.status.failure).toMatchObject({ reason: "OOMKilled", exitCode: 137 });
    expect(writers("three")).toEqual([identity(c)]);
    await waitFor("c's phase counts", async () => phaseCount(c, "Failed").then((n) => n === 2));
    expect(await phaseCount(c, "Succeeded")).toBe(1);
  });
});
