// Prometheus metrics: controller-runtime's names (so existing dashboards and alerts work) plus memeops' own.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { QueueMetrics } from "./kube/workqueue.ts";
import { PHASES, type EpochMetrics } from "../api/v1alpha1/status.ts";
import { STAGES } from "../api/contract/stages.ts";
import { ALL_STAGES_KEY } from "./builders/job-units.ts";
import { FAILURE_REASONS } from "./status/failure.ts";
import { OBJECTIVE_METRICS } from "../api/v1alpha1/sweep-spec.ts";
import { countKey, TRIAL_PHASES, type MemeSweepStatus } from "../api/v1alpha1/sweep-status.ts";

export const CONTROLLER = "memeexperiment";
export const SWEEP_CONTROLLER = "memesweep";
export const CONTROLLERS = [CONTROLLER, SWEEP_CONTROLLER] as const;
/** The values of memeops_experiment_epoch_metric{metric}: the status' per-epoch fields. */
export const EPOCH_METRICS = ["trainLoss", "valLoss", "valAuroc", "valAccuracy", "valF1"] as const satisfies readonly (keyof EpochMetrics)[];
/** The values of memeops_job_duration_seconds{result}. */
export const JOB_RESULTS = ["succeeded", "failed"] as const;

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
  // Experiment-level gauges (memeops_experiments and memeops_experiment_*) are exported by the leader only: a standby
  // exporting the same counts would make sum() across replicas count every experiment twice.
  readonly experiments = new Gauge({ name: "memeops_experiments", help: "MemeExperiments by phase (exported by the leader only)", labelNames: ["phase"], registers: [this.registry] });
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
  readonly apiRequests = new Counter({ name: "memeops_operator_api_requests_total", help: "Requests sent to the API server, by verb and resource (e.g. memeexperiments/status)", labelNames: ["verb", "resource"], registers: [this.registry] });
  readonly leader = new Gauge({ name: "memeops_operator_leader", help: "1 while this replica is the leader (reconciles), else 0; 1 without leader election", registers: [this.registry] });
  // For the Grafana dashboards (charts/memeops/dashboards): failures by reason, GPU hours, per-epoch curves.
  readonly failures = new Counter({ name: "memeops_experiment_failures_total", help: "Experiments that turned Failed, by reason", labelNames: ["reason"], registers: [this.registry] });
  readonly gpuSeconds = new Counter({ name: "memeops_gpu_seconds_total", help: "GPU time of finished trainer Jobs (wall time x GPUs requested)", labelNames: ["namespace", "stage"], registers: [this.registry] });
  // Set by the leader from status.epochs as it reconciles, so exactly one replica exports an experiment's series.
  readonly epoch = new Gauge({ name: "memeops_experiment_epoch", help: "Last finished training epoch (status.epochs)", labelNames: ["namespace", "name"], registers: [this.registry] });
  readonly epochMetric = new Gauge({ name: "memeops_experiment_epoch_metric", help: "Metrics of the last finished epoch (status.epochs)", labelNames: ["namespace", "name", "metric"], registers: [this.registry] });

  // Per sweep, from its status (the leader only, as the experiment gauges).
  readonly sweepTrials = new Gauge({ name: "memeops_sweep_trials", help: "A MemeSweep's trials by phase (status.counts)", labelNames: ["namespace", "sweep", "phase"], registers: [this.registry] });
  readonly sweepBest = new Gauge({ name: "memeops_sweep_best_value", help: "A MemeSweep's best objective value so far (status.bestTrial.value)", labelNames: ["namespace", "sweep", "metric"], registers: [this.registry] });

  private leading = false;

  constructor(o: { defaultMetrics?: boolean } = {}) {
    if (o.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    // As controller-runtime does: every result starts at 0, so rate() and alerts work before the first error.
    for (const controller of CONTROLLERS) {
      for (const result of ["success", "error", "requeue_after"]) this.reconcileTotal.inc({ controller, result }, 0);
      this.reconcileErrors.inc({ controller }, 0);
    }
    // Prometheus' increase() counts only what a series gains after its first scrape: a series born at its first
    // increment would hide it (the first failure of a reason, the first Job's duration). So every label value known
    // in advance starts at 0; the dashboards leave the empty ones out (> 0).
    for (const reason of FAILURE_REASONS) this.failures.inc({ reason }, 0);
    for (const stage of [ALL_STAGES_KEY, ...STAGES]) for (const result of JOB_RESULTS) this.jobDuration.zero({ stage, result });
    this.setLeading(false);
  }

  /**
   * A trainer Job of `stage` runs in `namespace`: its GPU-time series starts at 0 now (namespaces are not known in
   * advance), so increase() counts the Job's GPU time when it finishes, a scrape or more later.
   */
  jobLive(namespace: string, stage: string, gpus: number): void {
    if (gpus > 0) this.gpuSeconds.inc({ namespace, stage }, 0);
  }

  queue(name: string): QueueMetrics {
    this.queueDepth.set({ name }, 0);
    this.queueAdds.inc({ name }, 0);
    this.queueRetries.inc({ name }, 0);
    return {
      depth: (n) => this.queueDepth.set({ name }, n),
      added: () => this.queueAdds.inc({ name }),
      retried: () => this.queueRetries.inc({ name }),
      waited: (s) => this.queueDuration.observe({ name }, s),
    };
  }

  /** memeops_experiments{phase} from the phases of all watched experiments (every phase has a series, 0 if none). */
  setPhaseCounts(phases: Iterable<string | undefined>): void {
    if (!this.leading) return;
    const counts = new Map<string, number>(PHASES.map((p) => [p, 0]));
    for (const phase of phases) if (phase) counts.set(phase, (counts.get(phase) ?? 0) + 1);
    for (const [phase, n] of counts) this.experiments.set({ phase }, n);
  }

  setExperimentScores(namespace: string, name: string, val: number | undefined, test: number | undefined): void {
    if (!this.leading) return;
    // As the status: no best epoch with an AUROC yet, or a test AUROC that is undefined (one class), is no series.
    for (const [gauge, value] of [[this.valAuroc, val], [this.testAuroc, test]] as const) {
      if (value !== undefined && Number.isFinite(value)) gauge.set({ namespace, name }, value);
      else gauge.remove({ namespace, name });
    }
  }

  setEpochMetrics(namespace: string, name: string, m: EpochMetrics): void {
    if (!this.leading) return;
    this.epoch.set({ namespace, name }, m.epoch);
    for (const metric of EPOCH_METRICS) {
      // An undefined metric (AUROC of a one-class split) is no series, not NaN: a panel then shows a gap.
      if (Number.isFinite(m[metric])) this.epochMetric.set({ namespace, name, metric }, m[metric]);
      else this.epochMetric.remove({ namespace, name, metric });
    }
  }

  /**
   * Whether this replica leads. A replica that does not (a standby, or a leader that lost or gave up the Lease) drops
   * its experiment-level series and ignores later writes to them (a reconcile still draining), so they come from
   * one replica only.
   */
  setLeading(leading: boolean): void {
    this.leading = leading;
    this.leader.set(leading ? 1 : 0);
    if (!leading) for (const g of [this.experiments, this.valAuroc, this.testAuroc, this.epoch, this.epochMetric, this.sweepTrials, this.sweepBest]) g.reset();
  }

  /** A deleted experiment's series go with it. */
  forgetExperiment(namespace: string, name: string): void {
    this.valAuroc.remove({ namespace, name });
    this.testAuroc.remove({ namespace, name });
    this.epoch.remove({ namespace, name });
    for (const metric of EPOCH_METRICS) this.epochMetric.remove({ namespace, name, metric });
  }

  setSweep(namespace: string, sweep: string, status: MemeSweepStatus, metric: string): void {
    if (!this.leading) return;
    for (const phase of TRIAL_PHASES) this.sweepTrials.set({ namespace, sweep, phase }, status.counts?.[countKey(phase)] ?? 0);
    this.sweepBest.remove({ namespace, sweep, metric });
    if (status.bestTrial) this.sweepBest.set({ namespace, sweep, metric }, status.bestTrial.value);
  }

  /** A deleted sweep's series go with it. */
  forgetSweep(namespace: string, sweep: string): void {
    for (const phase of TRIAL_PHASES) this.sweepTrials.remove({ namespace, sweep, phase });
    for (const metric of OBJECTIVE_METRICS) this.sweepBest.remove({ namespace, sweep, metric });
  }
}
