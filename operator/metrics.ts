// Prometheus metrics: controller-runtime's names (so existing dashboards and alerts work) plus memeops' own.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { QueueMetrics } from "./kube/workqueue.ts";
import { PHASES } from "../api/v1alpha1/status.ts";

export const CONTROLLER = "memeexperiment";

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({ name: "controller_runtime_reconcile_total", help: "Reconciliations by result", labelNames: ["controller", "result"], registers: [this.registry] });
  readonly reconcileErrors = new Counter({ name: "controller_runtime_reconcile_errors_total", help: "Reconciliations that returned an error", labelNames: ["controller"], registers: [this.registry] });
  readonly reconcileTime = new Histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Time of one reconciliation",
    labelNames: ["controller"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({ name: "workqueue_depth", help: "Keys waiting in the work queue", labelNames: ["name"], registers: [this.registry] });
  readonly queueAdds = new Counter({ name: "workqueue_adds_total", help: "Keys added to the work queue", labelNames: ["name"], registers: [this.registry] });
  readonly queueRetries = new Counter({ name: "workqueue_retries_total", help: "Rate-limited re-adds", labelNames: ["name"], registers: [this.registry] });
  readonly queueDuration = new Histogram({
    name: "workqueue_queue_duration_seconds",
    help: "Time a key waited in the queue",
    labelNames: ["name"],
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60],
    registers: [this.registry],
  });
  readonly experiments = new Gauge({ name: "memeops_experiments", help: "MemeExperiments by phase", labelNames: ["phase"], registers: [this.registry] });
  readonly jobDuration = new Histogram({
    name: "memeops_job_duration_seconds",
    help: "Wall time of finished trainer Jobs",
    labelNames: ["stage", "result"],
    buckets: [10, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400],
    registers: [this.registry],
  });
  readonly epochsCompleted = new Counter({ name: "memeops_epochs_completed_total", help: "Training epochs reported by trainers", registers: [this.registry] });
  readonly valAuroc = new Gauge({ name: "memeops_experiment_val_auroc", help: "Best validation AUROC", labelNames: ["namespace", "name"], registers: [this.registry] });
  readonly testAuroc = new Gauge({ name: "memeops_experiment_test_auroc", help: "Test AUROC", labelNames: ["namespace", "name"], registers: [this.registry] });
  readonly apiRequests = new Gauge({ name: "memeops_operator_api_requests", help: "Requests sent to the API server, by verb", labelNames: ["verb"], registers: [this.registry] });

  constructor(o: { defaultMetrics?: boolean } = {}) {
    if (o.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    for (const phase of PHASES) this.experiments.set({ phase }, 0);
  }

  queue(name: string): QueueMetrics {
    return {
      depth: (n) => this.queueDepth.set({ name }, n),
      added: () => this.queueAdds.inc({ name }),
      retried: () => this.queueRetries.inc({ name }),
      waited: (s) => this.queueDuration.observe({ name }, s),
    };
  }

  setExperimentScores(namespace: string, name: string, val: number | undefined, test: number | undefined): void {
    if (val !== undefined) this.valAuroc.set({ namespace, name }, val);
    if (test !== undefined) this.testAuroc.set({ namespace, name }, test);
  }

  /** A deleted experiment's series go with it. */
  forgetExperiment(namespace: string, name: string): void {
    this.valAuroc.remove({ namespace, name });
    this.testAuroc.remove({ namespace, name });
  }
}
