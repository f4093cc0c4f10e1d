// The operator's own metrics: what a new registry holds, and a deleted experiment's series going with it.
import { describe, expect, it } from "vitest";
import { OperatorMetrics } from "../../../operator/metrics.ts";
import { measuredEpoch } from "../../../operator/reporting/messages.ts";

const text = async (m: OperatorMetrics) => m.registry.metrics();

describe("OperatorMetrics", () => {
  it("starts as a non-leader with no API requests counted", async () => {
    const m = new OperatorMetrics({ defaultMetrics: false });
    const t = await text(m);
    expect(t).toMatch(/^memeops_operator_leader 0$/m);
    expect(t).toMatch(/^# TYPE memeops_operator_api_requests_total counter$/m);
    m.apiRequests.inc({ verb: "GET" });
    m.apiRequests.inc({ verb: "GET" });
    expect(await text(m)).toMatch(/^memeops_operator_api_requests_total\{verb="GET"\} 2$/m);
  });

  it("an experiment's gauges (a metric without a value has no series) are removed with it, others' kept", async () => {
    const m = new OperatorMetrics({ defaultMetrics: false });
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
});
