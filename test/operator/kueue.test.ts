// The operator under the real Kueue controller (test/cluster/up.sh starts it): a ClusterQueue with quota for one
// trainer Job at a time, experiments that name its LocalQueue by label. They wait Queued, Kueue admits them one at a
// time in creation order, and all succeed; an experiment preempted by a higher-priority one is Evicted, back to
// Queued, re-run once admitted again, and never Failed. Their status says why in Kueue's own words, read from the
// Workloads the operator watches (no list per reconcile): the missing quota, the preemption; a Workload Kueue
// deactivates itself (past its maximum execution time) ends the experiment Failed, one made inactive by hand waits
// Queued saying how to make it active again. kwok plays the pods: each stays Running until the test
// labels it with its outcome, so the test, not a timer, decides when a trial ends. A MemeSweep whose labels name the
// queue: its queued trials count toward its parallelism, wait Queued, are admitted in creation order, and a trial
// Kueue evicts runs again (the same trial, the same parameters) without counting as a failure (the sweep driver
// plays the trials' trainers).
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createNamespace, deleteNamespace, kubectl, kubectlJson, kubectlOk, waitFor } from "../cluster/kubectl.ts";
import { installCrd } from "./crd.ts";
import { apiClient, apply, condition, deleteExperiments, experiment, getExperiment as getIn, phaseIs, startTestOperator, type Obj } from "./operator-harness.ts";
import { driveSweep, final, sweepManifest, type Behaviour } from "./sweep-driver.ts";
import type { Manager } from "../../operator/manager.ts";
import { KUEUE_LABEL } from "../../api/contract/kueue.ts";

let ns = "";
let op: Manager;
// Cluster-scoped Kueue objects carry the namespace's random suffix, so runs never share them.
let cq = "";
const LOCAL_QUEUE = "trainers";

beforeAll(async () => {
  installCrd();
  ns = createNamespace("memeops-kueue");
  cq = `memeops-${ns}`;
  kubectlOk(["apply", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [
        { apiVersion: "kueue.x-k8s.io/v1beta1", kind: "ResourceFlavor", metadata: { name: cq } },
        {
          apiVersion: "kueue.x-k8s.io/v1beta1",
          kind: "ClusterQueue",
          metadata: { name: cq },
          spec: {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
            // one trainer Job's worth of GPUs: fewer than the experiments that want them
            resourceGroups: [
              {
                coveredResources: ["cpu", "memory", "nvidia.com/gpu"],
                flavors: [{ name: cq, resources: [{ name: "cpu", nominalQuota: "32" }, { name: "memory", nominalQuota: "256Gi" }, { name: "nvidia.com/gpu", nominalQuota: 1 }] }],
              },
            ],
            queueingStrategy: "StrictFIFO",
            preemption: { withinClusterQueue: "LowerPriority" },
          },
        },
        { apiVersion: "kueue.x-k8s.io/v1beta1", kind: "LocalQueue", metadata: { name: LOCAL_QUEUE, namespace: ns }, spec: { clusterQueue: cq } },
        { apiVersion: "kueue.x-k8s.io/v1beta1", kind: "WorkloadPriorityClass", metadata: { name: `${cq}-low` }, value: 10 },
        { apiVersion: "kueue.x-k8s.io/v1beta1", kind: "WorkloadPriorityClass", metadata: { name: `${cq}-high` }, value: 1000 },
      ],
    }),
  });
  await waitFor("the ClusterQueue active", () => kubectlJson(["get", "clusterqueue", cq]).status?.conditions?.some((c: Obj) => c.type === "Active" && c.status === "True"));
  op = await startTestOperator([ns]);
});

afterAll(async () => {
  if (ns && op) await deleteExperiments(ns);
  await op?.stop();
  deleteNamespace(ns);
  if (cq) kubectl(["delete", "clusterqueue,resourceflavor", cq, "--ignore-not-found", "--wait=false"]);
  if (cq) kubectl(["delete", "workloadpriorityclass", `${cq}-low`, `${cq}-high`, "--ignore-not-found"]);
});

/** An experiment queued by label, as a MemeSweep queues its trials; its pods run until the test ends them. */
function queuedExperiment(name: string, priority?: string, labels: Record<string, string> = {}): string {
  const e = JSON.parse(experiment(ns, name));
  e.metadata.labels = { [KUEUE_LABEL.queueName]: LOCAL_QUEUE, ...(priority && { [KUEUE_LABEL.priorityClass]: `${cq}-${priority}` }), ...labels };
  return JSON.stringify(e);
}

const getExperiment = (name: string): Obj => getIn(ns, name);
const jobOf = (name: string): Obj | undefined => kubectlJson(["get", "jobs", "-n", ns, "-l", `memeops.io/experiment=${name}`]).items[0];
const workloadOf = (job: Obj): Obj | undefined =>
  kubectlJson(["get", "workloads", "-n", ns]).items.find((w: Obj) => w.metadata.ownerReferences?.some((o: Obj) => o.uid === job.metadata.uid));
const running = (name: string) => () => {
  const e = getExperiment(name);
  return e.status?.phase === "Preparing" ? e : undefined;
};
/** The experiment's pod that runs now (kwok keeps it Running until labelled) ends with success. */
function finish(name: string): void {
  const pods = kubectlJson(["get", "pods", "-n", ns, "-l", `memeops.io/experiment=${name}`]).items.filter((p: Obj) => p.status?.phase === "Running" && !p.metadata.deletionTimestamp);
  expect(pods).toHaveLength(1);
  kubectlOk(["label", "pod", "-n", ns, pods[0].metadata.name, "memeops.io/test-outcome=succeeded"]);
}

/** Kueue orders a queue by Workload creation time, in whole seconds: the next experiment's comes a second later. */
async function nextSecond(workload: Obj): Promise<void> {
  const created = Date.parse(workload.metadata.creationTimestamp);
  await waitFor("the clock past the Workload's creation second", () => Date.now() >= created + 1000, { intervalMs: 100 });
}

describe("Kueue", () => {
  // each test starts with the queue empty, whatever the one before left running
  beforeEach(() => deleteExperiments(ns));

  test("a queue with room for one: trials wait Queued, are admitted one at a time in creation order, and all succeed", async () => {
    const names = ["fifo-1", "fifo-2", "fifo-3"];
    const requestsBefore = new Map(op.client.requestsByResource);
    for (const name of names) {
      apply(queuedExperiment(name));
      const job = await waitFor(`the Job of ${name}`, () => jobOf(name));
      // created suspended with the queue label: Kueue, not the operator, decides when it starts
      expect(job.metadata.labels[KUEUE_LABEL.queueName]).toBe(LOCAL_QUEUE);
      await nextSecond(await waitFor(`the Workload of ${name}`, () => workloadOf(job)));
    }
    await waitFor("fifo-1 admitted and running", running("fifo-1"));
    for (const [i, name] of names.entries()) {
      // exactly one runs; the later ones wait in the queue, named in their status, neither started nor failed
      for (const later of names.slice(i + 1)) {
        const e = await waitFor(`${later} Queued`, phaseIs(ns, later, "Queued"));
        expect(condition(e, "Ready")).toMatchObject({ status: "False", reason: "Queued" });
        expect(condition(e, "Ready").message).toContain(`LocalQueue ${LOCAL_QUEUE}`);
        expect(jobOf(later).spec.suspend).toBe(true);
        expect(e.status.startTime).toBeUndefined();
      }
      // the next in line says why it waits, in Kueue's words (StrictFIFO: Kueue tries only the head of the queue)
      const next = names[i + 1];
      if (next) {
        const why = await waitFor(`${next}'s status naming the missing quota`, () => {
          const e = getExperiment(next);
          return /insufficient unused quota for nvidia\.com\/gpu in flavor .*, 1 more needed/.test(condition(e, "Ready")?.message ?? "") ? e : undefined;
        });
        expect(condition(why, "Ready")).toMatchObject({ status: "False", reason: "Queued" });
        expect(condition(why, "Ready").message).toMatch(new RegExp(`^Job ${next}-run waits for Kueue to admit it from LocalQueue ${LOCAL_QUEUE}: Pending: couldn't assign flavors`));
      }
      await waitFor(`${name} admitted and running`, running(name));
      finish(name);
      await waitFor(`${name} Succeeded`, phaseIs(ns, name, "Succeeded"));
    }
    // admitted in creation order: each Workload's admission came after the one created before it
    const admittedAt = names.map((n) => condition(workloadOf(jobOf(n))!, "Admitted")?.lastTransitionTime);
    expect(admittedAt.every(Boolean)).toBe(true);
    const admitted = admittedAt.map((t) => Date.parse(t));
    expect(admitted).toEqual([...admitted].sort((a, b) => a - b));
    // Workloads come from the informer: its list and watch at start, no list per reconcile of a queued experiment
    // (the operator listed them on every reconcile before), while the experiments' statuses were written many times
    const delta = (k: string) => (op.client.requestsByResource.get(k) ?? 0) - (requestsBefore.get(k) ?? 0);
    expect(delta("PATCH memeexperiments/status")).toBeGreaterThanOrEqual(9);
    expect(delta("GET workloads")).toBe(0);
    expect(op.client.requestsByResource.get("GET workloads")).toBeGreaterThanOrEqual(1);
    expect(op.client.requestsByResource.get("GET watch workloads")).toBeGreaterThanOrEqual(1);
  });

  test("preempted by a higher priority: Evicted, back to Queued, never Failed; re-run once admitted again and Succeeded", async () => {
    apply(queuedExperiment("victim", "low"));
    await waitFor("victim running", running("victim"));
    const firstPod = kubectlJson(["get", "pods", "-n", ns, "-l", "memeops.io/experiment=victim"]).items[0].metadata.uid;

    apply(queuedExperiment("vip", "high"));
    const evicted = await waitFor("victim evicted, saying preempted", () => {
      const e = getExperiment("victim");
      return e.status?.phase === "Queued" && condition(e, "Ready")?.reason === "Evicted" && condition(e, "Ready").message.includes(": Preempted: ") ? e : undefined;
    });
    expect(condition(evicted, "Ready").message).toContain("Kueue evicted Job victim-run");
    expect(condition(evicted, "Ready").message).toMatch(/: Preempted: Preempted to accommodate a workload .* due to prioritization in the ClusterQueue/);
    expect(condition(evicted, "Failed")).toMatchObject({ status: "False" });
    expect(evicted.status.failure).toBeUndefined();
    expect(jobOf("victim").metadata.labels[KUEUE_LABEL.priorityClass]).toBe(`${cq}-low`);
    const wl = workloadOf(jobOf("victim"));
    expect(condition(wl, "Evicted")).toMatchObject({ status: "True", reason: "Preempted" });
    await waitFor("a Warning event Evicted", () => kubectlJson(["get", "events", "-n", ns, "--field-selector", "involvedObject.name=victim,reason=Evicted,type=Warning"]).items.length > 0);

    await waitFor("vip running", running("vip"));
    expect(getExperiment("victim").status.phase).toBe("Queued");
    finish("vip");
    await waitFor("vip Succeeded", phaseIs(ns, "vip", "Succeeded"));

    // admitted again: a new pod of the same Job runs the trial anew
    await waitFor("victim running again", running("victim"));
    const pods = kubectlJson(["get", "pods", "-n", ns, "-l", "memeops.io/experiment=victim"]).items;
    expect(pods.some((p: Obj) => p.metadata.uid !== firstPod && p.status?.phase === "Running")).toBe(true);
    finish("victim");
    const done = await waitFor("victim Succeeded", phaseIs(ns, "victim", "Succeeded"));
    expect(condition(done, "Failed")).toMatchObject({ status: "False" });
  });

  test("spec.suspend on an admitted experiment deactivates its Workload: Kueue stops the Job and keeps it; resumed, it runs again", async () => {
    apply(queuedExperiment("pausable"));
    await waitFor("pausable running", running("pausable"));
    kubectlOk(["patch", "memex", "pausable", "-n", ns, "--type=merge", "-p", '{"spec":{"suspend":true}}']);
    await waitFor("pausable Suspended", phaseIs(ns, "pausable", "Suspended"));
    const wl = await waitFor("the Workload inactive, the Job stopped", () => {
      const w = workloadOf(jobOf("pausable"));
      return w?.spec.active === false && jobOf("pausable").spec.suspend === true && (jobOf("pausable").status.active ?? 0) === 0 ? w : undefined;
    });
    expect(wl.metadata.annotations["memeops.io/deactivated"]).toBe("true");
    // Kueue took its quota back and will not admit it while inactive: nothing starts the Job behind the experiment's back
    const released = await waitFor("the Workload's quota released", () => {
      const w = workloadOf(jobOf("pausable"))!;
      return condition(w, "QuotaReserved")?.status === "False" ? w : undefined;
    });
    expect(condition(released, "Evicted")).toMatchObject({ status: "True", reason: "Deactivated" });
    expect(getExperiment("pausable").status.phase).toBe("Suspended");
    expect(jobOf("pausable").spec.suspend).toBe(true);

    kubectlOk(["patch", "memex", "pausable", "-n", ns, "--type=merge", "-p", '{"spec":{"suspend":false}}']);
    await waitFor("pausable admitted again and running", running("pausable"));
    expect(workloadOf(jobOf("pausable"))!.spec.active).toBe(true);
    finish("pausable");
    await waitFor("pausable Succeeded", phaseIs(ns, "pausable", "Succeeded"));
  });

  test("Kueue deactivates a Workload past its maximum execution time: the experiment ends Failed, in Kueue's words", async () => {
    apply(queuedExperiment("overtime", undefined, { [KUEUE_LABEL.maxExecTimeSeconds]: "2" }));
    expect((await waitFor("the Job of overtime", () => jobOf("overtime"))).metadata.labels[KUEUE_LABEL.maxExecTimeSeconds]).toBe("2");
    // admitted, its pod runs (kwok keeps it running): Kueue stops it after 2 s of admission and gives the Workload up
    // (not waited for as Preparing: on a loaded machine the operator may see it only once it is stopped)
    const failed = await waitFor("overtime Failed", phaseIs(ns, "overtime", "Failed"));
    const wl = workloadOf(jobOf("overtime")!)!;
    expect(wl.spec.active).toBe(false);
    expect(wl.metadata.annotations?.["memeops.io/deactivated"]).toBeUndefined();
    expect(failed.status.failure).toMatchObject({ reason: "KueueDeactivated", stage: "run" });
    expect(failed.status.failure.message).toBe(
      `Kueue deactivated Workload ${wl.metadata.name} of Job overtime-run and admits it no more (DeactivatedDueToMaximumExecutionTimeExceeded: The workload is deactivated due to exceeding the maximum execution time)`,
    );
    expect(condition(failed, "Failed")).toMatchObject({ status: "True", reason: "KueueDeactivated" });
    await waitFor("a Warning event KueueDeactivated", () => kubectlJson(["get", "events", "-n", ns, "--field-selector", "involvedObject.name=overtime,reason=KueueDeactivated,type=Warning"]).items.length > 0);
  });

  test("a Workload made inactive by hand: Queued WorkloadInactive, saying how to go on; made active again, it runs and succeeds", async () => {
    apply(queuedExperiment("paused-by-hand"));
    await waitFor("paused-by-hand running", running("paused-by-hand"));
    const wl = workloadOf(jobOf("paused-by-hand")!)!;
    kubectlOk(["patch", "workload", wl.metadata.name, "-n", ns, "--type=merge", "-p", '{"spec":{"active":false}}']);
    const inactive = await waitFor("paused-by-hand WorkloadInactive", () => {
      const e = getExperiment("paused-by-hand");
      return e.status?.phase === "Queued" && condition(e, "Ready")?.reason === "WorkloadInactive" ? e : undefined;
    });
    const hint = `kubectl patch workload ${wl.metadata.name} -n ${ns} --type=merge -p '{"spec":{"active":true}}'`;
    expect(condition(inactive, "Ready").message).toContain(hint);
    expect(condition(inactive, "Failed")).toMatchObject({ status: "False" });
    // the operator leaves a Workload it did not deactivate alone
    expect(workloadOf(jobOf("paused-by-hand")!)!.spec.active).toBe(false);

    kubectlOk(["patch", "workload", wl.metadata.name, "-n", ns, "--type=merge", "-p", '{"spec":{"active":true}}']);
    await waitFor("paused-by-hand admitted again and running", running("paused-by-hand"));
    finish("paused-by-hand");
    await waitFor("paused-by-hand Succeeded", phaseIs(ns, "paused-by-hand", "Succeeded"));
  });
});

/** A sweep whose own labels name the LocalQueue (and a priority class); each trial asks for one GPU, the queue's quota. */
function queuedSweep(name: string, spec: Record<string, unknown>, priority?: string): string {
  const s = JSON.parse(sweepManifest(ns, name, spec));
  s.metadata.labels = { [KUEUE_LABEL.queueName]: LOCAL_QUEUE, ...(priority && { [KUEUE_LABEL.priorityClass]: `${cq}-${priority}` }) };
  s.spec.trialTemplate.spec.resources = { gpus: 1, cpu: "1", memory: "1Gi" };
  return JSON.stringify(s);
}

const getSweep = (name: string): Obj => kubectlJson(["get", "memesweep", name, "-n", ns]);
const trialNames = (sweep: string, n: number) => Array.from({ length: n }, (_, i) => `${sweep}-t${String(i + 1).padStart(4, "0")}`);
const reportUrl = () => `http://127.0.0.1:${op.ports.report}`;

/**
 * Whether a trial of `sweep` may end now: once every trial created so far has its Workload and the clock is past
 * their creation second. Kueue orders a queue by Workload creation time in whole seconds; so the trials created as
 * others end have Workloads of a later second than all before them, and Kueue's order is their creation order.
 */
function pastEveryWorkloadSecond(sweep: Obj): boolean {
  const name = sweep.metadata.name;
  const mine = kubectlJson(["get", "workloads", "-n", ns]).items.filter((w: Obj) => w.metadata.ownerReferences?.some((o: Obj) => o.name.startsWith(`${name}-t`)));
  if (mine.length < sweep.status.trialsCreated) return false;
  return Date.now() >= Math.max(...mine.map((w: Obj) => Date.parse(w.metadata.creationTimestamp))) + 1000;
}

describe("MemeSweep through Kueue", () => {
  beforeEach(() => deleteExperiments(ns));

  test("parallelism 3 on a queue with room for one trial: 3 trials at most, queued ones included; they wait Queued, are admitted in creation order; Succeeded with the best trial", { timeout: 300_000 }, async () => {
    apply(queuedSweep("queued", { budget: { maxTrials: 5, parallelism: 3 } }));
    const lr = (t: { parameters: Obj }) => t.parameters["training.learningRate"] as number;
    const score = (t: { parameters: Obj }) => Math.round((0.95 - Math.abs(lr(t) - 0.05) * 4) * 1e4) / 1e4;
    const behaviour: Behaviour = (t, s) => (pastEveryWorkloadSecond(s) ? { epochs: [score(t) - 0.1, score(t)], end: "succeeded" } : undefined);
    const r = await driveSweep(await apiClient(), ns, "queued", behaviour, final("Succeeded"), reportUrl, 240_000);

    const names = trialNames("queued", 5);
    // the sweep filled its parallelism with trials Kueue held, and made no more; Kueue ran one at a time
    expect(r.maxLive).toBe(3);
    expect(r.maxRunningPods).toBe(1);
    expect([...r.started].sort()).toEqual(names);
    // every trial admitted after another one had waited Queued, its Job suspended with the sweep's queue
    for (const name of r.started.slice(1)) expect(r.phases.get(name), name).toContain("Queued");
    for (const name of names) expect(jobOf(name)!.metadata.labels[KUEUE_LABEL.queueName], name).toBe(LOCAL_QUEUE);
    // admitted in creation order: the first three (one reconcile created them, in one second: Kueue may take them in
    // any order) before the two created as trials ended; Kueue's own record agrees
    expect(r.started.slice(0, 3).sort()).toEqual(names.slice(0, 3));
    expect(r.started.slice(3)).toEqual(names.slice(3));
    const admitted = r.started.map((n) => Date.parse(condition(workloadOf(jobOf(n)!)!, "Admitted").lastTransitionTime));
    expect(admitted).toEqual([...admitted].sort((a, b) => a - b));

    const trials: Obj[] = r.sweep.status.trials;
    expect(trials.map((t) => t.name)).toEqual(names);
    const best = trials.reduce((a, b) => (score(b) > score(a) ? b : a));
    expect(r.sweep.status.bestTrial).toMatchObject({ name: best.name, value: score(best), epoch: 2, parameters: best.parameters });
    expect(r.sweep.status).toMatchObject({ trialsCreated: 5, running: 0, counts: { succeeded: 5, failed: 0, evicted: 0 } });
    expect(condition(r.sweep, "Succeeded")).toMatchObject({ status: "True", reason: "BudgetExhausted" });
  });

  test("a trial Kueue evicts for a higher priority runs again, the same trial with the same parameters; the sweep is not charged a failure", { timeout: 300_000 }, async () => {
    apply(queuedSweep("evict", { budget: { maxTrials: 2, parallelism: 1, maxFailedTrials: 0 } }, "low"));
    let firstRun = true;
    const behaviour: Behaviour = (t) => {
      // the first run of the first trial reports an epoch and holds its pod until Kueue evicts it
      if (t.index === 0 && firstRun) return (firstRun = false), { epochs: [0.6], end: "hold" };
      return { epochs: t.index === 0 ? [0.8, 0.85] : [0.7, 0.75], end: "succeeded" };
    };
    const driving = driveSweep(await apiClient(), ns, "evict", behaviour, final("Succeeded"), reportUrl, 240_000);
    driving.catch(() => undefined); // awaited below; a failure meanwhile must not go unhandled
    const victim = "evict-t0001";
    const before = await waitFor(`${victim} reported an epoch`, () => {
      const e = getExperiment(victim);
      return e.status?.epochs?.length ? e : undefined;
    });
    const parameters = getSweep("evict").status.trials[0].parameters;

    apply(queuedExperiment("vip", "high"));
    const evicted = await waitFor(`${victim} evicted`, () => {
      const e = getExperiment(victim);
      return e.status?.phase === "Queued" && condition(e, "Ready")?.reason === "Evicted" ? e : undefined;
    });
    expect(evicted.metadata.uid).toBe(before.metadata.uid);
    expect(condition(workloadOf(jobOf(victim)!)!, "Evicted")).toMatchObject({ status: "True", reason: "Preempted" });
    // the sweep holds the trial's place while it waits: Queued, no failure, no new trial
    const waiting = await waitFor("the sweep's entry Queued, saying preempted", () => {
      const s = getSweep("evict");
      const t = s.status?.trials?.[0];
      return t?.phase === "Queued" && t.reason === "Evicted" && t.message?.includes("Preempted") ? s : undefined;
    });
    expect(waiting.status.trials[0].message.length).toBeLessThanOrEqual(256);
    expect(waiting.status).toMatchObject({ phase: "Running", trialsCreated: 1, counts: { failed: 0, queued: 1 } });

    await waitFor("vip running", running("vip"));
    finish("vip");
    await waitFor("vip Succeeded", phaseIs(ns, "vip", "Succeeded"));

    const r = await driving;
    // re-run: a second pod of the same trial object, then the next trial
    expect(r.started).toEqual([victim, victim, "evict-t0002"]);
    expect(r.trialUids.get(victim)).toEqual(new Set([before.metadata.uid]));
    const phases = r.phases.get(victim)!;
    // after it ran (the driver's poll may miss the short Training of the first run: the Workload's watch event makes
    // the eviction show within moments), Queued again
    const ran = phases.findIndex((p) => p === "Preparing" || p === "Training");
    expect(ran, "it ran").toBeGreaterThanOrEqual(0);
    expect(phases.slice(ran), "queued again after it ran").toContain("Queued");
    expect(phases.at(-1)).toBe("Succeeded");
    expect(phases).not.toContain("Failed");
    expect(r.sweepPhases).not.toContain("Failed");
    const entry = r.sweep.status.trials[0];
    expect(entry).toMatchObject({ name: victim, phase: "Succeeded", parameters, value: 0.85, epoch: 2 });
    expect(entry.reruns).toBeUndefined();
    expect(r.sweep.status).toMatchObject({ trialsCreated: 2, counts: { succeeded: 2, failed: 0, evicted: 0 }, bestTrial: { name: victim, value: 0.85 } });
    expect(condition(r.sweep, "Failed")).toMatchObject({ status: "False" });
  });
});
