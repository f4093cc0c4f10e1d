// Why Kueue holds a Job, from its Workload: the one pure mapping (operator/status/kueue.ts) on Workloads recorded from
// the real Kueue v0.14.8 of test/cluster (a Job waiting for GPU quota, one preempted, one Kueue deactivated for its
// maximum execution time, one deactivated by hand, a ClusterQueue held and one stopped), and what the experiment's
// status and its sweep's trial entry say with it: Queued or Evicted in Kueue's words, Failed when Kueue gave up.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { boundedMessage, MAX_KUEUE_MESSAGE, workloadVerdict } from "../../../operator/status/kueue.ts";
import { computeStatus, type Observation } from "../../../operator/status/compute.ts";
import { observeTrial } from "../../../operator/status/sweep.ts";
import { DEACTIVATED_ANNOTATION, ownerJobUids, type WorkloadObject } from "../../../operator/kube/workloads.ts";
import type { JobObject } from "../../../operator/kube/types.ts";
import { MAX_TRIAL_MESSAGE } from "../../../api/v1alpha1/sweep-status.ts";
import type { MemeSweepSpec } from "../../../api/v1alpha1/sweep-spec.ts";

const recorded = JSON.parse(readFileSync(new URL("./fixtures/kueue-v0.14.8-workloads.json", import.meta.url), "utf8")) as Record<string, WorkloadObject>;
const wl = (name: string): WorkloadObject => structuredClone(recorded[name]!);

describe("workloadVerdict on Workloads recorded from Kueue v0.14.8", () => {
  it("waiting for quota: Pending, in Kueue's words", () => {
    expect(workloadVerdict(wl("pending"))).toEqual({
      state: "waiting",
      reason: "Pending",
      message: "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor rec-flavor, 1 more needed",
    });
  });

  it("a held (inactive) ClusterQueue: Inadmissible, naming it", () => {
    expect(workloadVerdict(wl("clusterQueueInactive"))).toEqual({ state: "waiting", reason: "Inadmissible", message: "ClusterQueue rec-cq is inactive" });
  });

  it("preempted: evicted, Preempted, and why it waits now", () => {
    const v = workloadVerdict(wl("admittedThenPreempted"))!;
    expect(v).toMatchObject({ state: "evicted", reason: "Preempted" });
    expect(v.message).toMatch(/^Preempted to accommodate a workload .* due to prioritization in the ClusterQueue; now: couldn't assign flavors .*insufficient unused quota for nvidia.com\/gpu/);
  });

  it("a stopped ClusterQueue: evicted, ClusterQueueStopped", () => {
    expect(workloadVerdict(wl("clusterQueueStopped"))).toMatchObject({ state: "evicted", reason: "ClusterQueueStopped", message: "The ClusterQueue is stopped; now: ClusterQueue rec-cq is inactive" });
  });

  it("deactivated by Kueue itself (maximumExecutionTimeSeconds): deactivated, naming the cause", () => {
    expect(workloadVerdict(wl("maximumExecutionTimeExceeded"))).toEqual({
      state: "deactivated",
      reason: "DeactivatedDueToMaximumExecutionTimeExceeded",
      message: "The workload is deactivated due to exceeding the maximum execution time",
    });
    // before Kueue has evicted it, the DeactivationTarget condition alone names the cause
    const early = wl("maximumExecutionTimeExceeded");
    early.status!.conditions = early.status!.conditions!.filter((c) => c.type === "DeactivationTarget");
    expect(workloadVerdict(early)).toMatchObject({ state: "deactivated", reason: "DeactivatedDueToMaximumExecutionTimeExceeded", message: "exceeding the maximum execution time" });
    // its requeuing limit, as Kueue words the eviction once the target condition is gone
    const limit = wl("maximumExecutionTimeExceeded");
    limit.status!.conditions = [{ type: "Evicted", status: "True", reason: "DeactivatedDueToRequeuingLimitExceeded", message: "The workload is deactivated due to exceeding the maximum number of re-queuing retries" }];
    expect(workloadVerdict(limit)).toMatchObject({ state: "deactivated", reason: "DeactivatedDueToRequeuingLimitExceeded" });
  });

  it("deactivated by hand (spec.active=false, no cause): inactive; by memeops (its annotation): waiting for spec.suspend", () => {
    expect(workloadVerdict(wl("deactivatedByHand"))).toEqual({ state: "inactive", reason: "Deactivated", message: "The workload is deactivated" });
    const mine = wl("deactivatedByHand");
    mine.metadata.annotations = { ...mine.metadata.annotations, [DEACTIVATED_ANNOTATION]: "true" };
    expect(workloadVerdict(mine)?.state).toBe("waiting");
    // re-activated (by memeops or by hand): the old Deactivated eviction is no eviction of the Job's run
    const reactivated = wl("deactivatedByHand");
    reactivated.spec!.active = true;
    expect(workloadVerdict(reactivated)).toMatchObject({ state: "waiting", reason: "Pending" });
  });

  it("admitted; no condition yet: nothing to say", () => {
    const admitted = wl("pending");
    admitted.status!.conditions = [
      { type: "QuotaReserved", status: "True", reason: "QuotaReserved", message: "Quota reserved in ClusterQueue rec-cq" },
      { type: "Admitted", status: "True", reason: "Admitted", message: "The workload is admitted" },
    ];
    expect(workloadVerdict(admitted)?.state).toBe("admitted");
    const fresh = wl("pending");
    delete fresh.status;
    expect(workloadVerdict(fresh)).toBeUndefined();
  });

  it("messages are bounded, one line", () => {
    const long = wl("pending");
    long.status!.conditions![0]!.message = `line one\nline two ${"x".repeat(5000)}`;
    const m = workloadVerdict(long)!.message;
    expect(m.length).toBe(MAX_KUEUE_MESSAGE);
    expect(m).toMatch(/^line one line two x+\.\.\.$/);
    expect(boundedMessage("\u0007a\tb")).toBe("a b");
  });

  it("reads no podSet: nothing of the pod template reaches a message", () => {
    const w = wl("pending") as WorkloadObject & { spec: { podSets: { template: { spec: { containers: { env?: unknown[] }[] } } }[] } };
    w.spec.podSets[0]!.template.spec.containers[0]!.env = [{ name: "TOKEN", value: "s3cret" }];
    expect(JSON.stringify(workloadVerdict(w))).not.toContain("s3cret");
  });

  it("is indexed by its owner Job's uid (the owner reference, and Kueue's job-uid label)", () => {
    const w = wl("pending");
    expect(ownerJobUids(w)).toEqual([w.metadata.ownerReferences![0]!.uid]);
    expect(w.metadata.labels?.["kueue.x-k8s.io/job-uid"]).toBe(w.metadata.ownerReferences![0]!.uid);
  });
});

const unit = { key: "run", stages: ["prepare", "train", "evaluate"] as ("prepare" | "train" | "evaluate")[] };
const held: JobObject = { metadata: { name: "e-run", namespace: "ns", uid: "j1" }, spec: { suspend: true } };
const observe = (workload: WorkloadObject | undefined, o: Partial<Observation> = {}): Observation => ({
  generation: 1,
  status: {},
  suspend: false,
  queue: "team-a",
  units: [{ unit, name: "e-run", job: held, pods: [], ...(workload && { workload }) }],
  now: "2026-01-01T00:01:00Z",
  ...o,
});
const ready = (s: ReturnType<typeof computeStatus>) => s.conditions?.find((c) => c.type === "Ready");

describe("the experiment's status with its Workload", () => {
  it("Queued: the reason stays Queued, the message names the missing quota in Kueue's words", () => {
    const s = computeStatus(observe(wl("pending")));
    expect(s.phase).toBe("Queued");
    expect(ready(s)).toMatchObject({ status: "False", reason: "Queued" });
    expect(ready(s)?.message).toBe(
      "Job e-run waits for Kueue to admit it from LocalQueue team-a: Pending: couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor rec-flavor, 1 more needed",
    );
  });

  it("Evicted (even once its pods are gone): the message says preempted", () => {
    const s = computeStatus(observe(wl("admittedThenPreempted"), { status: { phase: "Training", startTime: "2026-01-01T00:00:10Z" } }));
    expect(s.phase).toBe("Queued");
    expect(ready(s)).toMatchObject({ reason: "Evicted" });
    expect(ready(s)?.message).toMatch(/^Kueue evicted Job e-run and stopped its pods; it runs again once LocalQueue team-a admits it: Preempted: Preempted to accommodate/);
    expect(s.failure).toBeUndefined();
  });

  it("Kueue deactivated it itself: Failed KueueDeactivated, terminal, naming Kueue's cause", () => {
    const s = computeStatus(observe(wl("maximumExecutionTimeExceeded")));
    expect(s.phase).toBe("Failed");
    expect(s.completionTime).toBe("2026-01-01T00:01:00Z");
    expect(s.failure).toMatchObject({ reason: "KueueDeactivated", stage: "run" });
    expect(s.failure?.message).toContain("(DeactivatedDueToMaximumExecutionTimeExceeded: The workload is deactivated due to exceeding the maximum execution time)");
    expect(s.failure?.message).toContain(`Kueue deactivated Workload ${recorded.maximumExecutionTimeExceeded!.metadata.name} of Job e-run`);
  });

  it("made inactive by hand: Queued WorkloadInactive, saying how to make it active again", () => {
    const w = wl("deactivatedByHand");
    const s = computeStatus(observe(w));
    expect(s.phase).toBe("Queued");
    expect(ready(s)?.reason).toBe("WorkloadInactive");
    expect(ready(s)?.message).toContain(`kubectl patch workload ${w.metadata.name} -n rec --type=merge -p '{"spec":{"active":true}}'`);
  });

  it("spec.suspend wins: Suspended whatever the Workload says", () => {
    expect(computeStatus(observe(wl("maximumExecutionTimeExceeded"), { suspend: true })).phase).toBe("Suspended");
  });

  it("a cluster without Kueue: Queued, saying so", () => {
    expect(ready(computeStatus(observe(undefined, { kueueMissing: true })))?.message).toContain("the cluster served no Kueue Workloads");
  });
});

describe("the sweep's trial entry", () => {
  const spec = { objective: { metric: "val_auroc", direction: "maximize" } } as unknown as MemeSweepSpec;
  const entry = { name: "s-t0001", index: 0, parameters: { "training.learningRate": 0.01 }, phase: "Pending" as const };
  const trial = (status: ReturnType<typeof computeStatus>) => observeTrial(entry, { metadata: { name: "s-t0001", uid: "u" }, status }, spec);

  it("Queued carries the short reason, bounded: the missing quota, preempted", () => {
    const waiting = trial(computeStatus(observe(wl("pending"))));
    expect(waiting).toMatchObject({ phase: "Queued", reason: "Queued" });
    expect(waiting.message).toContain("insufficient unused quota for nvidia.com/gpu");
    const evicted = trial(computeStatus(observe(wl("admittedThenPreempted"), { status: { phase: "Training" } })));
    expect(evicted).toMatchObject({ phase: "Queued", reason: "Evicted" });
    expect(evicted.message).toContain("Preempted");
    expect(evicted.message!.length).toBeLessThanOrEqual(MAX_TRIAL_MESSAGE);
  });

  it("Kueue's deactivation is a Failed trial (charged: re-running would hit the same limit)", () => {
    expect(trial(computeStatus(observe(wl("maximumExecutionTimeExceeded"))))).toMatchObject({ phase: "Failed", reason: "KueueDeactivated" });
  });
});
