// What the operator's informers keep of a Job and a Pod (operator/kube/types.ts keptJob, keptPod): the fields the
// operator reads, not the pod template or the pod's spec. The Job is the one the operator builds for the quickstart;
// the Pod is that template as the API server would give it back, with a terminated trainer's status.
import { describe, expect, it } from "vitest";
import { loadOneExperiment } from "../../../api/load.ts";
import { buildJob } from "../../../operator/builders/job.ts";
import { jobUnitsFor } from "../../../operator/builders/job-units.ts";
import { keptJob, keptPod, type JobObject, type PodObject } from "../../../operator/kube/types.ts";

const bytes = (o: unknown) => Buffer.byteLength(JSON.stringify(o));

describe("the Job and Pod informers' transforms", () => {
  it("keep metadata, spec.suspend, the status and a pod's node; drop the template, env and command", async () => {
    const exp = await loadOneExperiment("conf/experiments/quickstart.yaml");
    const built = buildJob({ name: "quickstart", namespace: "ns", uid: "exp-1" }, exp.spec, jobUnitsFor(exp.spec)[0]!, {}, { trainerImage: "ghcr.io/memeops/trainer:0.1.0" });
    const status = { startTime: "2026-01-01T00:00:00Z", active: 1, conditions: [{ type: "Complete", status: "True" }] };
    const job = { ...built, metadata: { ...built.metadata, uid: "job-1", resourceVersion: "5" }, status } as JobObject;
    const kept = keptJob(structuredClone(job));
    expect(kept).toEqual({ apiVersion: "batch/v1", kind: "Job", metadata: job.metadata, spec: { suspend: job.spec.suspend }, status });
    expect(JSON.stringify(kept)).not.toMatch(/MEMEOPS_|"env"|"command"|"volumes"/);

    const template = job.spec.template as { metadata: PodObject["metadata"]; spec: Record<string, unknown> };
    const terminated = { exitCode: 0, message: '{"kind":"result"}', finishedAt: "2026-01-01T00:01:00Z" };
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { ...template.metadata, name: "quickstart-run-x", namespace: "ns", uid: "pod-1" },
      spec: { ...template.spec, nodeName: "gpu-node-1" },
      status: { phase: "Succeeded", containerStatuses: [{ name: "trainer", state: { terminated } }] },
    } as PodObject;
    const keptP = keptPod(structuredClone(pod));
    expect(keptP).toEqual({ apiVersion: "v1", kind: "Pod", metadata: pod.metadata, spec: { nodeName: "gpu-node-1" }, status: pod.status });
    expect(JSON.stringify(keptP)).not.toMatch(/MEMEOPS_|"env"|"command"|"volumes"/);
    console.log(`[kept] quickstart Job ${bytes(job)} -> ${bytes(kept)} bytes; its Pod ${bytes(pod)} -> ${bytes(keptP)} bytes`);
    expect(bytes(kept)).toBeLessThan(bytes(job) / 2);
    expect(bytes(keptP)).toBeLessThan(bytes(pod) / 2);
  });
});
