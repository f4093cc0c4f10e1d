// The operator's own metrics: what a new registry holds, a deleted experiment's series going with it, and
// experiment-level series exported by the leader only (a standby's would double every sum() across replicas).
import { describe, expect, it } from "vitest";
import { OperatorMetrics } from "../../../operator/metrics.ts";
import { measuredEpoch } from "../../../api/contract/reports.ts";
import { PHASES } from "../../../api/v1alpha1/status.ts";

const text = async (m: OperatorMetrics) => m.registry.metrics();

describe("OperatorMetrics", () => {
  it("starts as a non-leader with no API requests counted", async () => {
    const m = new OperatorMetrics({ defaultMetrics: false });
    const t = await text(m);
    expect(t).toMatch(/^memeops_operator_leader 0$/m);
    expect(t).toMatch(/^# TYPE memeops_operator_api_requests_total counter$/m);
    m.apiRequests.inc({ verb: "GET", resource: "pods" });
    m.apiRequests.inc({ verb: "GET", resource: "pods" });
    expect(await text(m)).toMatch(/^memeops_operator_api_requests_total\{verb="GET",resource="pods"\} 2$/m);
  });

  it("counters whose label values are known in advance start at 0, so increase() counts their first step", async () => {
    const m = new OperatorMetrics({ defaultMetrics: false });
    const t = await text(m);
    expect(t).toMatch(/^memeops_experiment_failures_total\{reason="BackoffLimitExceeded"\} 0$/m);
    expect(t).toMatch(/^memeops_experiment_failures_total\{reason="OOMKilled"\} 0$/m);
    expect(t).toMatch(/^memeops_job_duration_seconds_count\{stage="run",result="failed"\} 0$/m);
    expect(t).toMatch(/^memeops_job_duration_seconds_bucket\{le="\+Inf",stage="train",result="succeeded"\} 0$/m);
    expect(t).not.toMatch(/^memeops_gpu_seconds_total\{/m);
    // GPU time by namespace: from the first live Job there, without resetting what finished Jobs added
    m.jobLive("ns", "run", 0);
    expect(await text(m)).not.toMatch(/^memeops_gpu_seconds_total\{/m);
    m.jobLive("ns", "run", 2);
    expect(await text(m)).toMatch(/^memeops_gpu_seconds_total\{namespace="ns",stage="run"\} 0$/m);
    m.gpuSeconds.inc({ namespace: "ns", stage: "run" }, 20);
    m.jobLive("ns", "run", 2);
    expect(await text(m)).toMatch(/^memeops_gpu_seconds_total\{namespace="ns",stage="run"\} 20$/m);
  });

  it("an experiment's gauges (a metric without a value has no series) are removed with it, others' kept", async () => {
    const m = new OperatorMetrics({ defaultMetrics: false });
    m.setLeading(true);
    for (const name of ["a", "b"]) {
      m.setExperimentScores("ns", name, 0.7, 0.68);
      m.setEpochMetrics("ns", name, measuredEpoch({ epoch: 3, trainLoss: 0.5, valLoss: 0.6, valAccuracy: 0.6, valF1: 0.5, undefinedBecause: { valAuroc: "one class" } }));
    }
    const before = await text(m);
    expect(before).toMatch(/^memeops_experiment_epoch_metric\{namespace="ns",name="a",metric="valLoss"\} 0.6$/m);
    expect(before).not.toMatch(/metric="valAuroc"/);
    m.forgetExperiment("ns", "a");
    const t = await text(m);
    expect(t).not.toMatch(/name="a"/);
    expect(t.match(/name="b"/g)).toHaveLength(2 + 1 + 4); // val and test AUROC, epoch, the four defined epoch metrics
  });

  it("a test AUROC without a value, or no best epoch yet, is no series (not NaN), and replaces an earlier value", async () => {
    const m = new OperatorMetrics({ defaultMetrics: false });
    m.setLeading(true);
    m.setExperimentScores("ns", "a", 0.7, 0.68);
    m.setExperimentScores("ns", "a", undefined, NaN);
    const t = await text(m);
    expect(t).not.toMatch(/memeops_experiment_(val|test)_auroc\{/);
    expect(t).not.toMatch(/ (NaN|Nan)$/m);
  });

  describe("leader-only experiment series", () => {
    const experimentSeries = (t: string) => t.split("\n").filter((l) => /^memeops_experiments?(_[a-z_]+)?\{/.test(l) && !l.includes("_total"));
    const feed = (m: OperatorMetrics) => {
      m.setPhaseCounts(["Succeeded", "Succeeded", "Training", undefined]);
      m.setExperimentScores("ns", "a", 0.7, 0.68);
      m.setEpochMetrics("ns", "a", measuredEpoch({ epoch: 2, trainLoss: 0.5, valLoss: 0.6, valAuroc: 0.7, valAccuracy: 0.6, valF1: 0.5 }));
    };

    it("a standby exports none, though its process and operator-health series are there", async () => {
      const m = new OperatorMetrics({ defaultMetrics: false });
      feed(m);
      m.reconcileTotal.inc({ controller: "memeexperiment", result: "success" }, 0);
      const t = await text(m);
      expect(experimentSeries(t)).toEqual([]);
      expect(t).toMatch(/^memeops_operator_leader 0$/m);
      expect(t).toMatch(/^controller_runtime_reconcile_total\{controller="memeexperiment",result="success"\} 0$/m);
    });

    it("the leader exports every phase (0 where none) and the experiment's gauges", async () => {
      const m = new OperatorMetrics({ defaultMetrics: false });
      m.setLeading(true);
      feed(m);
      const t = await text(m);
      expect(t).toMatch(/^memeops_operator_leader 1$/m);
      expect(t).toMatch(/^memeops_experiments\{phase="Succeeded"\} 2$/m);
      expect(t).toMatch(/^memeops_experiments\{phase="Training"\} 1$/m);
      expect(t).toMatch(/^memeops_experiments\{phase="Failed"\} 0$/m);
      expect(experimentSeries(t).filter((l) => l.startsWith("memeops_experiments{"))).toHaveLength(PHASES.length);
      expect(t).toMatch(/^memeops_experiment_epoch_metric\{namespace="ns",name="a",metric="valAuroc"\} 0.7$/m);
    });

    it("losing leadership drops them all and ignores later writes (a reconcile still draining); counters stay", async () => {
      const m = new OperatorMetrics({ defaultMetrics: false });
      m.setLeading(true);
      feed(m);
      m.epochsCompleted.inc();
      m.failures.inc({ reason: "OOMKilled" });
      m.setLeading(false);
      feed(m);
      const t = await text(m);
      expect(experimentSeries(t)).toEqual([]);
      expect(t).toMatch(/^memeops_operator_leader 0$/m);
      expect(t).toMatch(/^memeops_epochs_completed_total 1$/m);
      expect(t).toMatch(/^memeops_experiment_failures_total\{reason="OOMKilled"\} 1$/m);
      // leading again (a new term): exported again from the next writes
      m.setLeading(true);
      feed(m);
      expect(experimentSeries(await text(m)).length).toBe(PHASES.length + 2 + 1 + 5);
    });
  });
});
