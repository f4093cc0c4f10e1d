// An experiment's gauges follow its status as stored. A reconcile working from a stale copy (the trainer's report
// server wrote a newer epoch meanwhile) computes an older status; its write fails on the resourceVersion, and the
// gauges must keep what the stored status says, not go back until the retry. A fake API client and caches: the
// write's conflict is the point here (the real control plane's conflicts are in test/operator/writes.test.ts).
import { describe, expect, it } from "vitest";
import { MemeExperimentController, type ControllerDeps, type ExperimentObject } from "../../../operator/controllers/memeexperiment-controller.ts";
import { ApiError } from "../../../operator/kube/client.ts";
import type { JobObject, PodObject } from "../../../operator/kube/types.ts";
import { OperatorMetrics } from "../../../operator/metrics.ts";
import { jobName } from "../../../operator/builders/job.ts";
import { jobUnitsFor } from "../../../operator/builders/job-units.ts";
import { mustParseMemeExperiment } from "../../../api/v1alpha1/parse.ts";

const spec = { dataset: { source: { synthetic: {} } } };
const epoch = (n: number) => ({ epoch: n, trainLoss: 0.6, valLoss: 0.6, valAuroc: 0.5 + n / 10, valAccuracy: 0.6, valF1: 0.5 });

function setup(patchAnswer: (path: string) => Promise<unknown>) {
  const unit = jobUnitsFor(mustParseMemeExperiment({ apiVersion: "memeops.io/v1alpha1", kind: "MemeExperiment", metadata: { name: "e" }, spec }).spec)[0]!;
  // the copy in the cache: Training at epoch 2, while the stored status already has epoch 3
  const stale: ExperimentObject = {
    metadata: { name: "e", namespace: "ns", uid: "exp-1", resourceVersion: "10", generation: 1 },
    spec,
    status: { phase: "Training", epochs: [epoch(1), epoch(2)], bestValAuroc: 0.7, bestEpoch: 2 },
  };
  const job: JobObject = {
    metadata: { name: jobName("e", unit), namespace: "ns", uid: "job-1", labels: { "memeops.io/experiment": "e" }, ownerReferences: [{ apiVersion: "memeops.io/v1alpha1", kind: "MemeExperiment", name: "e", uid: "exp-1", controller: true }] },
    spec: { suspend: false },
    status: { startTime: "2026-01-01T00:00:00Z", active: 1 },
  };
  const pod: PodObject = {
    metadata: { name: `${job.metadata.name}-x`, namespace: "ns", labels: { "memeops.io/experiment": "e", "memeops.io/stage": unit.key }, ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: job.metadata.name, uid: "job-1", controller: true }] },
    status: { phase: "Running", startTime: "2026-01-01T00:00:01Z" },
  };
  const on = () => undefined;
  const cache = <T extends { metadata: { namespace?: string; name: string } }>(items: T[]) => ({
    get: (k: string) => items.find((o) => `${o.metadata.namespace}/${o.metadata.name}` === k),
    list: (f?: (o: T) => boolean) => items.filter((o) => !f || f(o)),
    on,
  });
  const patches: string[] = [];
  const client = {
    request: async (method: string, path: string) => {
      if (method !== "PATCH") throw new Error(`unexpected ${method} ${path}`);
      patches.push(path);
      return patchAnswer(path);
    },
  };
  const metrics = new OperatorMetrics({ defaultMetrics: false });
  metrics.setLeading(true);
  // what the stored status exported: epoch 3, best 0.8
  metrics.setEpochMetrics("ns", "e", epoch(3));
  metrics.setExperimentScores("ns", "e", 0.8, undefined);
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const controller = new MemeExperimentController({
    client,
    experiments: cache([stale]),
    jobs: cache([job]),
    pods: cache([pod]),
    events: { event() {} },
    metrics,
    log,
    settings: { trainerImage: "img" },
  } as unknown as ControllerDeps);
  const gauges = async () => (await metrics.registry.metrics()).split("\n").filter((l) => /^memeops_experiment_(epoch|val_auroc)\{/.test(l)).sort();
  return { controller, patches, gauges };
}

describe("the experiment's gauges", () => {
  it("stay as the stored status has them when a reconcile from a stale copy fails to write", async () => {
    const { controller, patches, gauges } = setup(() => Promise.reject(new ApiError(409, "Conflict", "the object has been modified")));
    const before = await gauges();
    expect(before).toEqual(['memeops_experiment_epoch{namespace="ns",name="e"} 3', 'memeops_experiment_val_auroc{namespace="ns",name="e"} 0.8']);
    await expect(controller.reconcile("ns/e")).rejects.toThrow(/changed meanwhile/);
    expect(patches).toEqual(["/apis/memeops.io/v1alpha1/namespaces/ns/memeexperiments/e/status"]);
    expect(await gauges()).toEqual(before);
  });

  it("follow the status once its write succeeds", async () => {
    const { controller, gauges } = setup(async () => ({ metadata: { name: "e", namespace: "ns", uid: "exp-1", resourceVersion: "11" } }));
    await controller.reconcile("ns/e");
    expect(await gauges()).toEqual(['memeops_experiment_epoch{namespace="ns",name="e"} 2', 'memeops_experiment_val_auroc{namespace="ns",name="e"} 0.7']);
  });
});
