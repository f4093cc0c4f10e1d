// Pure parts of the operator: Job builder, names, the status computation and the report merge.
import { describe, expect, it } from "vitest";
import { mustParseMemeExperiment } from "../../../api/v1alpha1/parse.ts";
import { buildJob, POD_FINALIZER } from "../../../operator/builders/job.ts";
import { childName } from "../../../operator/builders/names.ts";
import { jobUnitsFor } from "../../../operator/builders/job-units.ts";
import { computeStatus, transitionEvents, type Observation } from "../../../operator/status/compute.ts";
import { PRUNE_ANNOTATION, readPruneAnnotation } from "../../../api/contract/prune.ts";
import { setConditions } from "../../../operator/status/conditions.ts";
import { applyReport, parseTerminationMessage, terminationMessage } from "../../../api/contract/reports.ts";
import type { JobObject, PodObject } from "../../../operator/kube/types.ts";
import { WorkQueue } from "../../../operator/kube/workqueue.ts";

const exp = (spec: Record<string, unknown> = {}) =>
  mustParseMemeExperiment({ apiVersion: "memeops.io/v1alpha1", kind: "MemeExperiment", metadata: { name: "e" }, spec: { dataset: { source: { synthetic: {} } }, ...spec } });
const ref = { name: "e", namespace: "ns", uid: "u1", annotations: { "memeops.io/pod-labels": "memeops.io/test-outcome=failed,memeops.io/experiment=evil" } };

describe("builders", () => {
  it("names: deterministic, at most 63 characters, distinct after truncation", () => {
    expect(childName("a", "train")).toBe("a-train");
    const long1 = childName("x".repeat(63), "evaluate");
    const long2 = childName(`${"x".repeat(62)}y`, "evaluate");
    expect(long1.length).toBeLessThanOrEqual(63);
    expect(long1).toMatch(/-evaluate$/);
    expect(long1).not.toBe(long2);
    expect(childName("x".repeat(63), "evaluate")).toBe(long1);
  });

  it("one Job for all stages without a volume claim; one per stage with one", () => {
    expect(jobUnitsFor(exp().spec)).toEqual([{ key: "run", stages: ["prepare", "train", "evaluate"] }]);
    expect(jobUnitsFor(exp({ dataset: { source: { synthetic: {} }, storage: { volumeClaim: "data" } } }).spec).map((u) => u.key)).toEqual(["prepare", "train", "evaluate"]);
  });

  it("the Job: owner, labels, GPUs, security, finalizer, queue, env; reserved labels cannot be overridden", () => {
    const spec = exp({ scheduling: { queueName: "q" }, resources: { gpus: 2 }, runtime: { backoffLimit: 3, activeDeadlineSeconds: 60 } }).spec;
    const job = buildJob(ref, spec, { key: "run", stages: ["prepare", "train"] }, { tracking: { uri: "http://mlflow:5000", runId: "r1", experimentName: "ns" } }, { trainerImage: "img", reportUrl: "http://op:8082" });
    const t = job.spec.template as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(job.metadata.ownerReferences[0]).toMatchObject({ uid: "u1", controller: true, blockOwnerDeletion: true });
    expect(job.metadata.labels["kueue.x-k8s.io/queue-name"]).toBe("q");
    expect(job.spec).toMatchObject({ backoffLimit: 3, activeDeadlineSeconds: 60, suspend: true }); // queued: Kueue starts it
    expect(t.metadata.finalizers).toEqual([POD_FINALIZER]);
    expect(t.metadata.labels["memeops.io/experiment"]).toBe("e");
    expect(t.metadata.labels["memeops.io/test-outcome"]).toBe("failed");
    const c = t.spec.containers[0];
    expect(c.resources.limits["nvidia.com/gpu"]).toBe("2");
    expect(c.command).toEqual(["memeops", "trainer", "prepare", "train"]);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ MLFLOW_RUN_ID: "r1", MLFLOW_TRACKING_URI: "http://mlflow:5000", MEMEOPS_REPORT_URL: "http://op:8082" });
    expect(JSON.parse(env.MEMEOPS_EXPERIMENT).spec.mode).toBe("train");
    expect(t.spec.volumes.find((v: { name: string }) => v.name === "report-token").projected.sources[0].serviceAccountToken.audience).toBe("memeops");
    expect(env.MEMEOPS_CACHE_DIR).toBe(`${spec.dataset.storage.path}/cache`);
    const cpuOnly = buildJob(ref, exp({ resources: { gpus: 0 } }).spec, { key: "run", stages: ["prepare"] }, {}, { trainerImage: "img" });
    expect(Object.keys((cpuOnly.spec.template as any).spec.containers[0].resources.limits)).toEqual(["memory"]); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  it("GPU resource name: the experiment's wins; unset, the operator's; neither, nvidia.com/gpu", () => {
    const gpuLimits = (spec: Record<string, unknown>, settings: { gpuResourceName?: string }) =>
      (buildJob(ref, exp({ resources: spec }).spec, { key: "run", stages: ["prepare"] }, {}, { trainerImage: "img", ...settings }).spec.template as any).spec.containers[0].resources; // eslint-disable-line @typescript-eslint/no-explicit-any
    const own = gpuLimits({ gpus: 2, gpuResourceName: "amd.com/gpu" }, { gpuResourceName: "gpu.intel.com/i915" });
    expect(own.limits).toEqual({ memory: "16Gi", "amd.com/gpu": "2" });
    expect(own.requests).toEqual({ cpu: "4", memory: "16Gi", "amd.com/gpu": "2" });
    expect(exp({ resources: { gpus: 2 } }).spec.resources.gpuResourceName).toBeUndefined();
    expect(gpuLimits({ gpus: 2 }, { gpuResourceName: "gpu.intel.com/i915" }).limits).toEqual({ memory: "16Gi", "gpu.intel.com/i915": "2" });
    expect(gpuLimits({ gpus: 1 }, {}).limits).toEqual({ memory: "16Gi", "nvidia.com/gpu": "1" });
    expect(gpuLimits({ gpus: 0 }, { gpuResourceName: "amd.com/gpu" }).limits).toEqual({ memory: "16Gi" });
  });

  it("GPU resource names are checked as Kubernetes checks extended resources", () => {
    for (const ok of ["nvidia.com/gpu", "amd.com/gpu", "gpu.intel.com/i915", "example.com/a_b.c-d", `x.io/${"n".repeat(63)}`]) {
      expect(exp({ resources: { gpuResourceName: ok } }).spec.resources.gpuResourceName).toBe(ok);
    }
    for (const bad of ["gpu", "nvidia.com/", "/gpu", "Nvidia.com/gpu", "kubernetes.io/gpu", "node.kubernetes.io/gpu", "nvidia.com/gpu/x", `x.io/${"n".repeat(64)}`, "nvidia.com/-gpu"]) {
      expect(() => exp({ resources: { gpuResourceName: bad } }), bad).toThrow(/resources\.gpuResourceName/);
    }
  });

  it("token Secrets (dataset hub, initial weights) are mounted with only their keys, where the trainer reads them", () => {
    const spec = exp({
      dataset: { source: { huggingface: { repo: "org/memes", tokenSecret: { name: "hf", key: "token" } } } },
      model: { name: "vilbert_hf", size: "tiny", initialWeights: { uri: "hf://org/vilbert/model.bin", tokenSecret: { name: "hf", key: "weights-token" } } },
    }).spec;
    const t = buildJob(ref, spec, { key: "run", stages: ["prepare", "train"] }, {}, { trainerImage: "img" }).spec.template as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const vols = t.spec.volumes.filter((v: { secret?: unknown }) => v.secret);
    expect(vols).toHaveLength(1);
    expect(vols[0].secret).toMatchObject({ secretName: "hf", items: [{ key: "token", path: "token" }, { key: "weights-token", path: "weights-token" }] });
    const mount = t.spec.containers[0].volumeMounts.find((m: { name: string }) => m.name === vols[0].name);
    expect(mount).toEqual({ name: vols[0].name, mountPath: "/var/run/secrets/memeops/hf", readOnly: true });
    expect(buildJob(ref, exp().spec, { key: "run", stages: ["prepare"] }, {}, { trainerImage: "img" }).spec.template).not.toMatchObject({ spec: { volumes: expect.arrayContaining([expect.objectContaining({ secret: expect.anything() })]) } });
  });

  it("the models claim: mounted read-only at /models in every Job, as MEMEOPS_MODEL_DIR; without it, no volume", () => {
    const units = jobUnitsFor(exp({ dataset: { source: { synthetic: {} }, storage: { volumeClaim: "data" } } }).spec);
    expect(units).toHaveLength(3);
    for (const unit of units) {
      const t = buildJob(ref, exp().spec, unit, {}, { trainerImage: "img", modelsClaim: "memeops-models" }).spec.template as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(t.spec.volumes).toContainEqual({ name: "models", persistentVolumeClaim: { claimName: "memeops-models", readOnly: true } });
      const c = t.spec.containers[0];
      expect(c.volumeMounts).toContainEqual({ name: "models", mountPath: "/models", readOnly: true });
      expect(c.env).toContainEqual({ name: "MEMEOPS_MODEL_DIR", value: "/models" });
      // the volume names stay distinct (the API server refuses a pod with two volumes of one name)
      expect(new Set(t.spec.volumes.map((v: { name: string }) => v.name)).size).toBe(t.spec.volumes.length);
    }
    const without = buildJob(ref, exp().spec, { key: "run", stages: ["prepare"] }, {}, { trainerImage: "img" }).spec.template as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(without.spec.volumes.map((v: { name: string }) => v.name)).not.toContain("models");
    expect(without.spec.containers[0].volumeMounts.map((m: { mountPath: string }) => m.mountPath)).not.toContain("/models");
    expect(without.spec.containers[0].env.map((e: { name: string }) => e.name)).not.toContain("MEMEOPS_MODEL_DIR");
  });
});

const job = (conds: { type: string; reason?: string }[], failed = 0): JobObject => ({
  metadata: { name: "e-run", namespace: "ns", uid: "j1" },
  spec: {},
  status: { failed, conditions: conds.map((c) => ({ ...c, status: "True" })) },
});
const pod = (phase: "Running" | "Failed" | "Succeeded", terminated?: { exitCode: number; reason: string; message?: string }): PodObject => ({
  metadata: { name: "p", namespace: "ns", creationTimestamp: "2026-01-01T00:00:00Z" },
  status: { phase, containerStatuses: [{ name: "trainer", state: terminated ? { terminated } : { running: {} } }] },
});
const observe = (o: Partial<Observation>): Observation => ({
  generation: 2,
  status: {},
  suspend: false,
  units: [{ unit: { key: "run", stages: ["prepare", "train", "evaluate"] }, name: "e-run", job: job([]), pods: [pod("Running")] }],
  now: "2026-01-01T00:01:00Z",
  ...o,
});

describe("status", () => {
  it("running: phase from the reported stage, conditions with observedGeneration", () => {
    const s = computeStatus(observe({ status: { progress: { stage: "train", epoch: 1 } } }));
    expect(s.phase).toBe("Training");
    expect(s.conditions?.find((c) => c.type === "Running")).toMatchObject({ status: "True", observedGeneration: 2 });
  });

  it("OOMKilled keeps 137; a failed Job stays Failed once its pods are gone; terminal phases stick", () => {
    const units = [{ unit: { key: "run", stages: ["train" as const] }, name: "e-run", job: job([{ type: "Failed", reason: "BackoffLimitExceeded" }], 1), pods: [pod("Failed", { exitCode: 137, reason: "OOMKilled" })] }];
    const s = computeStatus(observe({ units }));
    expect(s.failure).toMatchObject({ reason: "OOMKilled", exitCode: 137 });
    const podsGone = computeStatus(observe({ units: [{ ...units[0]!, pods: [] }] }));
    expect(podsGone.phase).toBe("Failed");
    expect(podsGone.failure?.reason).toBe("BackoffLimitExceeded");
    expect(computeStatus(observe({ status: s, units: [] })).failure).toEqual(s.failure);
    expect(transitionEvents({ phase: "Training" }, s)[0]).toMatchObject({ type: "Warning", reason: "OOMKilled" });
  });

  it("a pod taken away (DisruptionTarget: preempted, drained, node lost) fails the Job as Evicted, named with the kubelet's reason", () => {
    const evicted: PodObject = {
      ...pod("Failed", { exitCode: 137, reason: "Error" }),
      status: { ...pod("Failed", { exitCode: 137, reason: "Error" }).status, conditions: [{ type: "DisruptionTarget", status: "True", reason: "DeletionByTaintManager", message: "Taint manager: deleting due to NoExecute taint" }] },
    };
    const units = [{ unit: { key: "run", stages: ["train" as const] }, name: "e-run", job: job([{ type: "Failed", reason: "BackoffLimitExceeded" }], 1), pods: [evicted] }];
    const s = computeStatus(observe({ units }));
    expect(s.phase).toBe("Failed");
    expect(s.failure).toMatchObject({ reason: "Evicted", exitCode: 137 });
    expect(s.failure?.message).toContain("DeletionByTaintManager");
    // the same exit code without the condition is the trainer's own failure
    const plain = computeStatus(observe({ units: [{ ...units[0]!, pods: [pod("Failed", { exitCode: 137, reason: "Error" })] }] }));
    expect(plain.failure?.reason).toBe("BackoffLimitExceeded");
  });

  it("DeadlineExceeded, a deleted Job, suspend, an invalid spec", () => {
    expect(computeStatus(observe({ units: [{ unit: { key: "run", stages: ["train"] }, name: "e-run", job: job([{ type: "Failed", reason: "DeadlineExceeded" }]), pods: [] }] })).failure?.reason).toBe("DeadlineExceeded");
    expect(computeStatus(observe({ status: { jobs: [{ stage: "run", name: "e-run" }] }, units: [{ unit: { key: "run", stages: ["train"] }, name: "e-run", pods: [] }] })).failure?.reason).toBe("JobDeleted");
    expect(computeStatus(observe({ suspend: true })).phase).toBe("Suspended");
    const bad = computeStatus(observe({ invalid: [{ path: "metadata.name", message: "too long" }], units: [] }));
    expect(bad.conditions?.find((c) => c.type === "InvalidSpec")).toMatchObject({ status: "True", message: "metadata.name: too long" });
  });

  it("a sweep's prune decision ends the trial Pruned with the numbers, whatever its Job does; a malformed one is ignored", () => {
    const record = { rule: "median" as const, epoch: 3, value: 0.61, threshold: 0.7, compared: 4, message: "below the median" };
    const s = computeStatus(observe({ status: { progress: { stage: "train", epoch: 3 } }, prune: record }));
    expect(s).toMatchObject({ phase: "Pruned", completionTime: "2026-01-01T00:01:00Z", pruned: { rule: "median", epoch: 3, value: 0.61, threshold: 0.7, compared: 4 } });
    expect(s.conditions?.find((c) => c.type === "Pruned")).toMatchObject({ status: "True", reason: "MedianRule", message: "below the median" });
    expect(computeStatus(observe({ prune: { ...record, rule: "stopped", value: null, threshold: null } })).pruned).toEqual({ rule: "stopped", epoch: 3, compared: 4, message: "below the median" });
    // terminal: kept as it is afterwards
    expect(computeStatus(observe({ status: s, units: [] }))).toEqual(s);
    expect(readPruneAnnotation({ [PRUNE_ANNOTATION]: JSON.stringify(record) })).toEqual(record);
    expect(readPruneAnnotation({ [PRUNE_ANNOTATION]: "{not json" })).toBeUndefined();
    expect(readPruneAnnotation({ [PRUNE_ANNOTATION]: JSON.stringify({ ...record, rule: "vibes" }) })).toBeUndefined();
  });

  it("lastTransitionTime changes only when the status does", () => {
    const first = setConditions(undefined, [{ type: "Ready", status: "False", reason: "A", message: "" }], 1, "t1");
    const same = setConditions(first, [{ type: "Ready", status: "False", reason: "B", message: "" }], 2, "t2");
    const flipped = setConditions(same, [{ type: "Ready", status: "True", reason: "C", message: "" }], 2, "t3");
    expect([first[0]?.lastTransitionTime, same[0]?.lastTransitionTime, flipped[0]?.lastTransitionTime]).toEqual(["t1", "t1", "t3"]);
  });

  it("results in a termination message are recovered; it stays under 4 KB; epochs are bounded", () => {
    const long = { kind: "result" as const, checkpointUri: "s3://x", checks: Array.from({ length: 7 }, () => ({ name: "prediction_count" as const, passed: true, message: "m".repeat(1000) })) };
    const text = terminationMessage(long);
    expect(Buffer.byteLength(text)).toBeLessThan(4096);
    expect(parseTerminationMessage(text)?.checkpointUri).toBe("s3://x");
    expect(parseTerminationMessage("Traceback: boom")).toBeUndefined();
    let status = {};
    for (let i = 1; i <= 60; i++) status = { ...status, ...applyReport(status, { kind: "progress", stage: "train", epoch: i, epochMetrics: { epoch: i, trainLoss: 1, valLoss: 1, valAuroc: i === 7 ? 0.9 : 0.5, valAccuracy: 0, valF1: 0 } }, "t") };
    expect((status as { epochs: unknown[] }).epochs).toHaveLength(50);
    expect(status).toMatchObject({ bestEpoch: 7, bestValAuroc: 0.9 });
  });
});

describe("work queue", () => {
  it("merges repeated adds, never hands one key to two workers, re-queues a key added while processing", async () => {
    const q = new WorkQueue();
    q.add("a");
    q.add("a");
    q.add("b");
    expect(q.depth).toBe(2);
    const k = await q.get();
    q.add("a");
    expect(q.depth).toBe(1);
    q.done(k!);
    expect(q.depth).toBe(2);
    q.shutdown();
    expect(await q.get()).toBeUndefined();
  });
});
