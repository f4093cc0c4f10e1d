// The pure Kueue parts: which labels an experiment's Jobs carry, that a queued Job starts suspended, and the status
// of an experiment whose Job Kueue holds (Queued, then Evicted after it ran), never Failed for an eviction; and
// which Workloads a suspension deactivates and a resumption re-activates (found in the informer's cache, the
// operator's own writes seen before the informer has them); whether the cluster serves Workloads; and which
// experiment a Workload's watch event wakes. (Why Kueue holds a Job: kueue-reasons.test.ts.)
import { describe, expect, it } from "vitest";
import { mustParseMemeExperiment } from "../../../api/v1alpha1/parse.ts";
import { buildJob } from "../../../operator/builders/job.ts";
import { kueueLabels, kueueQueue } from "../../../operator/builders/kueue.ts";
import { computeStatus, transitionEvents, type Observation, type ObservedUnit } from "../../../operator/status/compute.ts";
import { MemeExperimentController, type ControllerDeps } from "../../../operator/controllers/memeexperiment-controller.ts";
import type { JobObject, PodObject } from "../../../operator/kube/types.ts";
import { ApiError, type KubeClient } from "../../../operator/kube/client.ts";
import { DEACTIVATED_ANNOTATION, ownerJobUids, Workloads, workloadsServed, type WorkloadObject } from "../../../operator/kube/workloads.ts";

const spec = (s: Record<string, unknown> = {}) =>
  mustParseMemeExperiment({ apiVersion: "memeops.io/v1alpha1", kind: "MemeExperiment", metadata: { name: "e" }, spec: { dataset: { source: { synthetic: {} } }, ...s } }).spec;
const QUEUE = "kueue.x-k8s.io/queue-name";
const PRIORITY = "kueue.x-k8s.io/priority-class";
const unit = { key: "run", stages: ["prepare", "train", "evaluate"] as ("prepare" | "train" | "evaluate")[] };

describe("Kueue labels", () => {
  it("the queue: spec.scheduling.queueName, else the experiment's label; the priority class from its label", () => {
    expect(kueueLabels({ [QUEUE]: "team-a", [PRIORITY]: "high", other: "x" }, spec())).toEqual({ [QUEUE]: "team-a", [PRIORITY]: "high" });
    expect(kueueLabels({ [QUEUE]: "team-a" }, spec({ scheduling: { queueName: "team-b" } }))).toEqual({ [QUEUE]: "team-b" });
    expect(kueueLabels(undefined, spec())).toEqual({});
    expect(kueueQueue({ [PRIORITY]: "high" }, spec())).toBeUndefined();
  });

  it("the maximum execution time passes on only as a positive whole number of seconds", () => {
    const MAX = "kueue.x-k8s.io/max-exec-time-seconds";
    expect(kueueLabels({ [QUEUE]: "q", [MAX]: "3600" }, spec())).toEqual({ [QUEUE]: "q", [MAX]: "3600" });
    for (const bad of ["0", "-5", "1h", "1.5", ""]) expect(kueueLabels({ [QUEUE]: "q", [MAX]: bad }, spec()), bad).toEqual({ [QUEUE]: "q" });
  });

  it("a queued Job carries both labels (its pods do not) and starts suspended; without a queue it follows spec.suspend", () => {
    const ref = { name: "e", namespace: "ns", uid: "u1", labels: { [QUEUE]: "team-a", [PRIORITY]: "high" } };
    const queued = buildJob(ref, spec(), unit, {}, { trainerImage: "img" });
    expect(queued.metadata.labels).toMatchObject({ [QUEUE]: "team-a", [PRIORITY]: "high", "memeops.io/experiment": "e" });
    expect(queued.spec.suspend).toBe(true);
    expect((queued.spec.template as { metadata: { labels: Record<string, string> } }).metadata.labels[QUEUE]).toBeUndefined(); // the Job's pods are not Kueue workloads of their own
    const plain = buildJob({ ...ref, labels: {} }, spec(), unit, {}, { trainerImage: "img" });
    expect(plain.metadata.labels[QUEUE]).toBeUndefined();
    expect(plain.spec.suspend).toBe(false);
  });

  it("the pod-labels annotation cannot set the Kueue labels", () => {
    const ref = { name: "e", namespace: "ns", uid: "u1", annotations: { "memeops.io/pod-labels": `${QUEUE}=sneaky,${PRIORITY}=top` } };
    const t = buildJob(ref, spec(), unit, {}, { trainerImage: "img" }).spec.template as { metadata: { labels: Record<string, string> } };
    expect(t.metadata.labels[QUEUE]).toBeUndefined();
    expect(t.metadata.labels[PRIORITY]).toBeUndefined();
  });
});

const suspendedJob: JobObject = { metadata: { name: "e-run", namespace: "ns", uid: "j1" }, spec: { suspend: true }, status: { conditions: [{ type: "Suspended", status: "True" }] } };
const stoppedPod: PodObject = {
  metadata: { name: "e-run-x", namespace: "ns", creationTimestamp: "2026-01-01T00:00:00Z" },
  status: { phase: "Failed", containerStatuses: [{ name: "trainer", state: { terminated: { exitCode: 137, reason: "Error" } } }] },
};
const observe = (o: Partial<Observation> & { pods?: PodObject[]; job?: JobObject }): Observation => {
  const units: ObservedUnit[] = [{ unit, name: "e-run", job: o.job ?? suspendedJob, pods: o.pods ?? [] }];
  return { generation: 1, status: {}, suspend: false, queue: "team-a", units, now: "2026-01-01T00:01:00Z", ...o };
};
const ready = (s: { conditions?: { type: string; reason: string; message: string }[] }) => s.conditions?.find((c) => c.type === "Ready");

describe("status of a queued experiment", () => {
  it("waiting for admission: phase Queued, reason Queued naming the queue; not started", () => {
    const s = computeStatus(observe({}));
    expect(s.phase).toBe("Queued");
    expect(ready(s)).toMatchObject({ status: "False", reason: "Queued" });
    expect(ready(s)?.message).toContain("LocalQueue team-a");
    expect(s.conditions?.find((c) => c.type === "Running")).toMatchObject({ status: "False", reason: "Queued" });
    expect(s.startTime).toBeUndefined();
  });

  it("suspended by Kueue after it ran: Evicted (a Warning event), never Failed, and Evicted until admitted again", () => {
    const running: Observation["status"] = { phase: "Training", startTime: "2026-01-01T00:00:10Z" };
    const evicted = computeStatus(observe({ status: running, pods: [stoppedPod] }));
    expect(evicted.phase).toBe("Queued");
    expect(ready(evicted)).toMatchObject({ reason: "Evicted" });
    expect(evicted.failure).toBeUndefined();
    expect(evicted.startTime).toBe("2026-01-01T00:00:10Z");
    expect(transitionEvents(running, evicted)).toEqual([expect.objectContaining({ type: "Warning", reason: "Evicted" })]);
    // its pods released, the Job still held: still Evicted, not a fresh Queued
    const later = computeStatus(observe({ status: evicted }));
    expect(ready(later)).toMatchObject({ reason: "Evicted" });
    // admitted again: the Job runs, the experiment leaves Queued
    const again = computeStatus(observe({ status: later, job: { ...suspendedJob, spec: { suspend: false } }, pods: [{ ...stoppedPod, status: { phase: "Running" } }] }));
    expect(again.phase).toBe("Preparing");
  });

  it("spec.suspend wins over the queue; a suspended Job without a queue is Suspended", () => {
    expect(computeStatus(observe({ suspend: true })).phase).toBe("Suspended");
    const { queue: _q, ...unqueued } = observe({});
    expect(computeStatus(unqueued).phase).toBe("Suspended");
  });
});

describe("Workload activation (a fake API client and cache)", () => {
  type Call = { method: string; path: string; body?: unknown };
  const wl = (name: string, active?: boolean, mine = false, rv = "7"): WorkloadObject => ({
    metadata: {
      name,
      namespace: "ns",
      uid: `uid-${name}`,
      resourceVersion: rv,
      creationTimestamp: `2026-01-01T00:00:0${name.length % 10}Z`,
      ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "e-run", uid: "job-1", controller: true }],
      ...(mine && { annotations: { [DEACTIVATED_ANNOTATION]: "true" } }),
    },
    spec: active === undefined ? {} : { active },
  });
  /** The Workloads informer's part the operator reads (get, byIndex), indexed as the informer does; a client that answers PATCH with the patched object. */
  const setup = (items: WorkloadObject[]) => {
    const calls: Call[] = [];
    const byKey = new Map(items.map((w) => [`ns/${w.metadata.name}`, w]));
    const cache = { get: (k: string) => byKey.get(k), byIndex: (uid: string) => [...byKey.values()].filter((w) => ownerJobUids(w).includes(uid)), on: () => undefined };
    const fake = {
      request: async (method: string, path: string, init: { body?: { metadata: { annotations: Record<string, string | null> }; spec: { active: boolean } } } = {}) => {
        calls.push({ method, path, ...init });
        const old = byKey.get(`ns/${path.split("/").at(-1)}`)!;
        const annotations = Object.fromEntries(Object.entries({ ...old.metadata.annotations, ...init.body!.metadata.annotations }).filter(([, v]) => v !== null)) as Record<string, string>;
        return { ...old, metadata: { ...old.metadata, annotations, resourceVersion: String(Number(old.metadata.resourceVersion) + 1) }, spec: init.body!.spec };
      },
    };
    return { calls, workloads: new Workloads(fake as unknown as KubeClient, cache) };
  };

  it("finds the Job's Workloads in the informer by owner Job uid (no list) and deactivates them, marked as the operator's", async () => {
    const { calls, workloads } = setup([wl("job-e-run-1"), wl("job-e-run-2", false)]);
    expect(await workloads.setActive("job-1", false)).toBe(2);
    expect(calls).toEqual([
      expect.objectContaining({ method: "PATCH", path: "/apis/kueue.x-k8s.io/v1beta1/namespaces/ns/workloads/job-e-run-1", body: { metadata: { resourceVersion: "7", annotations: { [DEACTIVATED_ANNOTATION]: "true" } }, spec: { active: false } } }),
    ]);
    expect(await workloads.setActive("other-job", false)).toBe(0);
  });

  it("its own write is seen before the informer has it: a status write that failed after a deactivation loses nothing", async () => {
    const { calls, workloads } = setup([wl("w", true)]);
    await workloads.setActive("job-1", false);
    // the informer still has the active copy; the next reconcile sees the deactivation and writes nothing again
    expect(workloads.ofJob("job-1")[0]).toMatchObject({ spec: { active: false }, metadata: { resourceVersion: "8" } });
    await workloads.setActive("job-1", false);
    expect(calls).toHaveLength(1);
    // resumed before the informer caught up: re-activated from the written copy (its resourceVersion), not the stale one
    await workloads.setActive("job-1", true);
    expect(calls[1]).toMatchObject({ body: { metadata: { resourceVersion: "8", annotations: { [DEACTIVATED_ANNOTATION]: null } }, spec: { active: true } } });
  });

  it("Kueue is watched only where discovery lists Workloads; a cluster without the group is no error", async () => {
    const answering = (answer: () => Promise<unknown>) => ({ request: answer }) as unknown as KubeClient;
    expect(await workloadsServed(answering(async () => ({ resources: [{ name: "workloads" }, { name: "workloads/status" }] })))).toBe(true);
    expect(await workloadsServed(answering(async () => ({ resources: [{ name: "clusterqueues" }] })))).toBe(false);
    expect(await workloadsServed(answering(() => Promise.reject(new ApiError(404, "NotFound", "the server could not find the requested resource"))))).toBe(false);
    await expect(workloadsServed(answering(() => Promise.reject(new ApiError(403, "Forbidden", "no"))))).rejects.toThrow(/no/);
  });

  it("re-activates only what it deactivated, never a Workload Kueue deactivated itself", async () => {
    const { calls, workloads } = setup([wl("mine", false, true), wl("kueues", false), wl("running", true)]);
    await workloads.setActive("job-1", true);
    expect(calls.map((c) => [c.path.split("/").at(-1), c.body])).toEqual([
      ["mine", { metadata: { resourceVersion: "7", annotations: { [DEACTIVATED_ANNOTATION]: null } }, spec: { active: true } }],
    ]);
  });
});

describe("a Workload's watch event", () => {
  it("enqueues the experiment of the Job that owns it (checked by uid), nothing for another's Workload", () => {
    const job: JobObject = { metadata: { name: "e-run", namespace: "ns", uid: "job-1", labels: { "memeops.io/experiment": "e" } }, spec: {} };
    const on = () => {};
    const jobs = { get: (k: string) => (k === "ns/e-run" ? job : undefined), on };
    const controller = new MemeExperimentController({ jobs, experiments: { get: () => undefined, on }, pods: { get: () => undefined, on } } as unknown as ControllerDeps);
    const workload = (owner: { name: string; uid: string }) => ({
      kind: "Workload",
      metadata: { name: "job-e-run-1", namespace: "ns", ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", controller: true, ...owner }] },
    });
    expect(controller.keysFor(workload({ name: "e-run", uid: "job-1" }))).toEqual(["ns/e"]);
    expect(controller.keysFor(workload({ name: "e-run", uid: "an-older-job" }))).toEqual([]);
    expect(controller.keysFor(workload({ name: "someone-elses", uid: "job-2" }))).toEqual([]);
  });
});
