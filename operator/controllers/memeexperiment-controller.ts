// The one reconciler of MemeExperiments. Level-triggered: whatever event woke it, it reads the experiment, its Jobs,
// their pods and their Kueue Workloads from the informer caches, makes the world match the spec (create the next Job,
// toggle suspend, resolve the dependency and the MLflow run) and writes the status computed from what it saw. Running
// it twice, or after a crash at any point, does no harm: names are deterministic and "already exists" means "adopt".
import { API_VERSION, KIND } from "../../api/v1alpha1/groupversion.ts";
import { parseMemeExperiment } from "../../api/v1alpha1/parse.ts";
import type { MemeExperimentSpec } from "../../api/v1alpha1/spec.ts";
import type { MemeExperimentStatus } from "../../api/v1alpha1/status.ts";
import { buildJob, jobName, POD_FINALIZER, type OperatorJobSettings, type Resolved } from "../builders/job.ts";
import { LABEL } from "../builders/names.ts";
import { jobUnitsFor } from "../builders/job-units.ts";
import { kueueQueue } from "../builders/kueue.ts";
import { isAlreadyExists, isConflict, isNotFound, type KubeClient } from "../kube/client.ts";
import type { EventRecorder } from "../kube/events.ts";
import { keyOf, type Informer, type KubeObject } from "../kube/informer.ts";
import { mergePatch, removeBuiltinFinalizer, removeFinalizer, topLevelMergePatch } from "../kube/patch.ts";
import { OwnWrites } from "../kube/own-writes.ts";
import { paths } from "../kube/paths.ts";
import { Workloads, type WorkloadObject } from "../kube/workloads.ts";
import { isPodTerminal, jobCondition, type JobObject, type PodObject } from "../kube/types.ts";
import type { Logger } from "../../api/contract/log.ts";
import type { JOB_RESULTS, OperatorMetrics } from "../metrics.ts";
import { resolveDependency, type DependencyView } from "../status/dependency.ts";
import { computeStatus, isTerminal, transitionEvents, type Observation, type ObservedUnit } from "../status/compute.ts";
import { trackingTarget, type MlflowRuns } from "../tracking/mlflow-runs.ts";
import { measuredEpoch } from "../../api/contract/reports.ts";
import { prunedRunTags, readPruneAnnotation } from "../../api/contract/prune.ts";
import { PARENT_RUN_ANNOTATION, PARENT_RUN_TAG } from "../../api/contract/sweep.ts";

export const EXPERIMENT_FINALIZER = "memeops.io/cleanup";
/** Set once the MLflow run has been closed, so a terminal experiment does not call MLflow on every resync. */
export const RUN_CLOSED_ANNOTATION = "memeops.io/mlflow-run-closed";

export type ExperimentObject = KubeObject & { spec?: unknown; status?: MemeExperimentStatus };

export interface ControllerSettings extends OperatorJobSettings {
  defaultTrackingUri?: string;
  /** how long a new experiment waits for an unreachable MLflow before its Jobs start without a run id */
  trackingGraceMs?: number;
  /** how long deletion waits for external clean-up before it gives up with a Warning event */
  finalizerTimeoutMs?: number;
  /** safety requeue of live experiments, in case an event was missed */
  resyncMs?: number;
}

export interface ControllerDeps {
  client: KubeClient;
  experiments: Informer<ExperimentObject>;
  jobs: Informer<JobObject>;
  pods: Informer<PodObject>;
  /** Kueue's Workloads; undefined where the cluster served none when the operator started */
  workloads?: Informer<WorkloadObject>;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  mlflow?: MlflowRuns;
  settings: ControllerSettings;
}

export interface Result {
  requeueAfterMs?: number;
}

export class MemeExperimentController {
  /** Experiments as this operator's own writes left them, until the informer has caught up. */
  private readonly written: OwnWrites<ExperimentObject>;
  /** Pods as the finalizer release left them: a reconcile before the informer catches up does not release them again. */
  private readonly releasedPods: OwnWrites<PodObject>;
  private readonly workloads?: Workloads;

  constructor(private readonly d: ControllerDeps) {
    this.written = new OwnWrites(d.experiments);
    this.releasedPods = new OwnWrites(d.pods);
    if (d.workloads) this.workloads = new Workloads(d.client, d.workloads);
  }

  /** Keys to reconcile when an object changes: an experiment itself and those that wait for it; a child's (or its Job's Workload's) owner. */
  keysFor(obj: KubeObject): string[] {
    const ns = obj.metadata.namespace ?? "";
    if (obj.kind === "Workload") {
      const owner = obj.metadata.ownerReferences?.find((o) => o.kind === "Job");
      const job = owner && this.d.jobs.get(`${ns}/${owner.name}`);
      const exp = job?.metadata.uid === owner?.uid ? job?.metadata.labels?.[LABEL.experiment] : undefined;
      return exp ? [`${ns}/${exp}`] : [];
    }
    const owner = obj.metadata.labels?.[LABEL.experiment];
    if (obj.kind === "Job" || obj.kind === "Pod" || owner) return owner ? [`${ns}/${owner}`] : [];
    const dependents = this.d.experiments
      .list((e) => e.metadata.namespace === ns && (e.spec as Partial<MemeExperimentSpec> | undefined)?.model?.initialWeights?.fromExperiment === obj.metadata.name)
      .map(keyOf);
    return [keyOf(obj), ...dependents];
  }

  async reconcile(key: string): Promise<Result> {
    const [namespace = "", name = ""] = key.split("/");
    let exp = this.latest(key);
    if (!exp) {
      this.d.metrics.forgetExperiment(namespace, name);
      await this.releasePods(this.podsOf(namespace, name));
      return {};
    }
    if (exp.metadata.deletionTimestamp) return this.finalize(exp);
    const now = new Date().toISOString();
    const parsed = parseMemeExperiment({ apiVersion: API_VERSION, kind: KIND, metadata: pickMeta(exp), spec: exp.spec });
    if (!parsed.ok) {
      await this.writeStatus(exp, { generation: exp.metadata.generation, status: exp.status ?? {}, invalid: parsed.problems, suspend: false, units: [], now });
      return {};
    }
    const spec = parsed.value.spec;
    const target = trackingTarget(spec, namespace, this.d.settings.defaultTrackingUri);
    // Only an MLflow run needs the finalizer (to be closed as KILLED): Jobs go with their owner (garbage collector),
    // and pods whose experiment is gone are released by the reconcile of its key. Without one, no finalizer writes.
    if (target && !isTerminal(exp.status) && !exp.metadata.finalizers?.includes(EXPERIMENT_FINALIZER)) {
      exp = this.remember(
        await mergePatch<ExperimentObject>(this.d.client, paths.experiment(namespace, name), {
          metadata: { resourceVersion: exp.metadata.resourceVersion, finalizers: [...(exp.metadata.finalizers ?? []), EXPERIMENT_FINALIZER] },
        }),
      );
    }
    const status = exp.status ?? {};
    const units = await this.observeUnits(exp, spec);

    if (isTerminal(status)) {
      await this.writeStatus(exp, { generation: exp.metadata.generation, status, suspend: spec.suspend, units, now });
      await this.releasePods(units.flatMap((u) => u.pods));
      if (target && status.mlflow?.runId && !exp.metadata.annotations?.[RUN_CLOSED_ANNOTATION]) await this.closeRun(exp, target, status);
      return {};
    }

    const queue = kueueQueue(exp.metadata.labels, spec);
    const prune = readPruneAnnotation(exp.metadata.annotations);
    const obs: Observation = { generation: exp.metadata.generation, status, suspend: spec.suspend, ...(queue && { queue, kueueMissing: !this.workloads }), units, now, ...(prune && { prune }) };
    if (prune) {
      // Its sweep stopped this trial: the Jobs go (their pods with them), the status says why, the run ends KILLED.
      await this.deleteJobs(exp);
      const after = await this.writeStatus(exp, obs);
      await this.releasePods(units.flatMap((u) => u.pods));
      if (target && after.mlflow?.runId) await this.closeRun(exp, target, after);
      return {};
    }
    const resolved: Resolved = {};
    const dep = resolveDependency(dependencyView(exp), (name) => {
      const other = this.d.experiments.get(`${namespace}/${name}`);
      return other && dependencyView(other);
    });
    if (dep && "checkpointUri" in dep) resolved.initialCheckpointUri = dep.checkpointUri;
    else if (dep) obs.dependency = dep;

    let trackingBlocks = false;
    if (target) {
      const run = await this.trackingRun(exp, target, status);
      obs.tracking = run;
      resolved.tracking = { uri: target.uri, experimentName: target.experimentName, ...(run.state === "ready" && { runId: run.runId }) };
      const age = Date.now() - Date.parse(exp.metadata.creationTimestamp ?? now);
      trackingBlocks = run.state === "unavailable" && age < (this.d.settings.trackingGraceMs ?? 120_000);
    }

    // Kueue owns a queued Job's suspend field: the experiment is suspended through its Workloads instead.
    let held = true;
    if (queue) held = await this.syncWorkloads(units, spec.suspend);
    else await this.syncSuspend(units, spec.suspend);
    const next = units.find((u) => !jobCondition(u.job, "Complete"));
    const recorded = new Set((status.jobs ?? []).map((j) => j.name));
    if (next && !next.job && !recorded.has(next.name) && !spec.suspend && !obs.dependency && !trackingBlocks) {
      next.job = await this.createJob(exp, spec, next, resolved);
    }
    for (const u of units) if (u.job) this.d.metrics.jobLive(namespace, u.unit.key, spec.resources.gpus);
    const after = await this.writeStatus(exp, obs);
    await this.releasePods(units.flatMap((u) => u.pods));

    if (isTerminal(after)) {
      for (const u of units) this.observeJobDuration(u, after.phase === "Succeeded" ? "succeeded" : "failed", spec.resources.gpus);
      if (target && after.mlflow?.runId) await this.closeRun(exp, target, after);
      return {};
    }
    if (!held) return { requeueAfterMs: 2_000 }; // Kueue makes the Workload to deactivate a moment after the Job
    if (obs.tracking?.state === "unavailable") throw new Error(`MLflow unavailable: ${obs.tracking.message}`);
    if (obs.dependency && !obs.dependency.ends) return { requeueAfterMs: 30_000 };
    return { requeueAfterMs: this.d.settings.resyncMs ?? 300_000 };
  }

  private latest(key: string): ExperimentObject | undefined {
    return this.written.latest(key);
  }

  private remember<T extends ExperimentObject>(obj: T): T {
    return this.written.remember(obj);
  }

  private podsOf(namespace: string, name: string, stage?: string): PodObject[] {
    return this.d.pods.list(
      (p) => p.metadata.namespace === namespace && p.metadata.labels?.[LABEL.experiment] === name && (!stage || p.metadata.labels?.[LABEL.stage] === stage),
    );
  }

  /** Each unit's Job (ours only) and pods; a Job the status names but the cache lacks is looked up, not presumed gone. */
  private async observeUnits(exp: ExperimentObject, spec: MemeExperimentSpec): Promise<ObservedUnit[]> {
    const ns = exp.metadata.namespace ?? "";
    const recorded = new Set((exp.status?.jobs ?? []).map((j) => j.name));
    const out: ObservedUnit[] = [];
    for (const unit of jobUnitsFor(spec)) {
      const name = jobName(exp.metadata.name, unit);
      let job = this.d.jobs.get(`${ns}/${name}`);
      if (!job && recorded.has(name)) job = await this.d.client.request<JobObject>("GET", paths.job(ns, name)).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      if (job) job = await this.owned(exp, job);
      const workload = job?.metadata.uid ? this.workloads?.ofJob(job.metadata.uid).at(-1) : undefined;
      out.push({ unit, name, job, pods: job ? this.podsOf(ns, exp.metadata.name, unit.key).filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === job.metadata.uid)) : [], ...(workload && { workload }) });
    }
    return out;
  }

  /** A Job with our name: ours if we control it, adopted if nobody does, refused if another object controls it. */
  private async owned(exp: ExperimentObject, job: JobObject): Promise<JobObject> {
    const controller = job.metadata.ownerReferences?.find((o) => o.controller);
    if (controller?.uid === exp.metadata.uid) return job;
    if (controller) throw new Error(`Job ${job.metadata.name} is controlled by ${controller.kind} ${controller.name} (uid ${controller.uid}), not by this experiment`);
    this.d.log.info("adopting job", { experiment: keyOf(exp), job: job.metadata.name });
    return mergePatch<JobObject>(this.d.client, paths.job(exp.metadata.namespace ?? "", job.metadata.name), {
      metadata: {
        resourceVersion: job.metadata.resourceVersion,
        ownerReferences: [...(job.metadata.ownerReferences ?? []), { apiVersion: API_VERSION, kind: KIND, name: exp.metadata.name, uid: exp.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
    });
  }

  private async createJob(exp: ExperimentObject, spec: MemeExperimentSpec, u: ObservedUnit, resolved: Resolved): Promise<JobObject> {
    const ns = exp.metadata.namespace ?? "";
    const ref = { name: exp.metadata.name, namespace: ns, uid: exp.metadata.uid ?? "", labels: exp.metadata.labels, annotations: exp.metadata.annotations };
    const desired = buildJob(ref, spec, u.unit, resolved, this.d.settings);
    try {
      // No Event: status.jobs records it in the status write that follows, and the Job controller's own Events tell the rest.
      return await this.d.client.request<JobObject>("POST", paths.jobs(ns), { body: desired });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Created by an earlier run of this reconcile whose answer was lost (or a crash): the same Job, adopt it.
      return this.owned(exp, await this.d.client.request<JobObject>("GET", paths.job(ns, u.name)));
    }
  }

  /** spec.suspend may change at any time: unfinished Jobs follow it (the Job controller stops or starts their pods). */
  private async syncSuspend(units: ObservedUnit[], suspend: boolean): Promise<void> {
    for (const u of units) {
      const job = u.job;
      if (!job || jobCondition(job, "Complete") || jobCondition(job, "Failed") || (job.spec.suspend ?? false) === suspend) continue;
      u.job = await mergePatch<JobObject>(this.d.client, paths.job(job.metadata.namespace ?? "", job.metadata.name), { spec: { suspend } });
    }
  }

  /**
   * A queued experiment's unfinished Jobs are never unsuspended by the operator: Kueue starts them when it admits
   * them, and starts an admitted one again if anyone else suspends it. spec.suspend deactivates their Workloads
   * instead (Kueue then stops the Jobs and admits them no more) and re-activates them when it is false again: looked
   * up whenever a Job is held, in the Workloads informer as this operator's own writes left them (kube/workloads.ts
   * says why that sees a deactivation whose status write then failed).
   * False when a Workload to deactivate does not exist yet: the caller tries again shortly.
   */
  private async syncWorkloads(units: ObservedUnit[], suspend: boolean): Promise<boolean> {
    for (const u of units) {
      const job = u.job;
      if (!job || jobCondition(job, "Complete") || jobCondition(job, "Failed") || !(suspend || job.spec.suspend)) continue;
      if (!this.workloads) throw new Error(`the experiment names a Kueue queue, but the cluster served no kueue.x-k8s.io/v1beta1 Workloads when the operator started: is Kueue installed?`);
      const found = await this.workloads.setActive(job.metadata.uid ?? "", !suspend);
      if (suspend && found === 0) return false;
    }
    return true;
  }

  private async trackingRun(exp: ExperimentObject, target: NonNullable<ReturnType<typeof trackingTarget>>, status: MemeExperimentStatus): Promise<NonNullable<Observation["tracking"]>> {
    if (status.mlflow?.runId) return { state: "ready", runId: status.mlflow.runId, ...(status.mlflow.url && { url: status.mlflow.url }) };
    if (!this.d.mlflow) return { state: "unavailable", message: "the operator has no MLflow client" };
    try {
      // A sweep's trial: its run is a child of the sweep's run.
      const parent = exp.metadata.annotations?.[PARENT_RUN_ANNOTATION];
      const tags = { "memeops.io/experiment": exp.metadata.name, ...(parent && { [PARENT_RUN_TAG]: parent }) };
      return { state: "ready", ...(await this.d.mlflow.ensureRun(target, exp.metadata.namespace ?? "", exp.metadata.name, exp.metadata.uid ?? "", tags)) };
    } catch (err) {
      return { state: "unavailable", message: `MLflow at ${new URL(target.uri).host} is unreachable: ${String((err as Error).message ?? err).slice(0, 500)}` };
    }
  }

  private async closeRun(exp: ExperimentObject, target: NonNullable<ReturnType<typeof trackingTarget>>, status: MemeExperimentStatus, outcome?: "KILLED"): Promise<void> {
    const pruned = status.phase === "Pruned";
    const runStatus = outcome ?? (status.phase === "Succeeded" ? "FINISHED" : pruned ? "KILLED" : "FAILED");
    const tags = pruned ? prunedRunTags(status.pruned) : {};
    await this.d.mlflow?.terminate(target, exp.metadata.namespace ?? "", status.mlflow?.runId ?? "", runStatus, tags);
    if (outcome) return;
    this.remember(await mergePatch<ExperimentObject>(this.d.client, paths.experiment(exp.metadata.namespace ?? "", exp.metadata.name), { metadata: { annotations: { [RUN_CLOSED_ANNOTATION]: runStatus } } }));
  }

  /** Compute and, when it changed, write the status (conditional on the version read); emit transition events. */
  private async writeStatus(exp: ExperimentObject, obs: Observation): Promise<MemeExperimentStatus> {
    const before = exp.status ?? {};
    const after = computeStatus(obs);
    const patch = topLevelMergePatch(before as Record<string, unknown>, after as Record<string, unknown>);
    // The gauges follow the status as stored: exported only once it is (unchanged, or written), so a reconcile from
    // a stale copy, whose write then conflicts, never takes a series back (a test AUROC gone, an epoch earlier).
    const changed = Object.keys(patch).length > 0;
    if (changed) {
      try {
        this.remember(
          await mergePatch<ExperimentObject>(this.d.client, paths.experimentStatus(exp.metadata.namespace ?? "", exp.metadata.name), {
            metadata: { resourceVersion: exp.metadata.resourceVersion },
            status: patch,
          }),
        );
      } catch (err) {
        if (isConflict(err)) throw new Error(`status of ${keyOf(exp)} changed meanwhile; retrying with a fresh read`);
        throw err;
      }
    }
    this.exportStatus(exp, after);
    if (!changed) return after;
    this.d.log.debug("status written", { experiment: keyOf(exp), phase: after.phase, changed: Object.keys(patch) });
    for (const e of transitionEvents(before, after)) this.d.events.event(exp, e.type, e.reason, e.message);
    if (after.phase === "Failed" && before.phase !== "Failed") this.d.metrics.failures.inc({ reason: after.failure?.reason ?? "Failed" });
    return after;
  }

  /**
   * The experiment's gauges, from its status: set on every reconcile (only the leader reconciles), whether or not the
   * status changed, so a new leader exports them too and a standby never does.
   */
  private exportStatus(exp: ExperimentObject, status: MemeExperimentStatus): void {
    const ns = exp.metadata.namespace ?? "";
    this.d.metrics.setExperimentScores(ns, exp.metadata.name, status.bestValAuroc, status.test?.auroc);
    const last = status.epochs?.reduce((a, b) => (b.epoch > a.epoch ? b : a));
    if (last) this.d.metrics.setEpochMetrics(ns, exp.metadata.name, measuredEpoch(last));
  }

  /** Let finished trainer pods go: their final state is in the status now (the caller wrote it first). */
  private async releasePods(pods: readonly PodObject[]): Promise<void> {
    for (const cached of pods) {
      const pod = this.releasedPods.latest(keyOf(cached)) ?? cached;
      if (!pod.metadata.finalizers?.includes(POD_FINALIZER)) continue;
      if (!isPodTerminal(pod) && !this.orphaned(pod)) continue;
      const path = paths.pod(pod.metadata.namespace ?? "", pod.metadata.name);
      const released = await removeBuiltinFinalizer<PodObject>(this.d.client, path, POD_FINALIZER).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      if (released) this.releasedPods.remember(released);
    }
  }

  private orphaned(pod: PodObject): boolean {
    const exp = this.d.experiments.get(`${pod.metadata.namespace}/${pod.metadata.labels?.[LABEL.experiment]}`);
    return !exp || !!exp.metadata.deletionTimestamp;
  }

  /** Deletion: stop the Jobs, let their pods go, close the MLflow run as KILLED; never block for ever. */
  private async finalize(exp: ExperimentObject): Promise<Result> {
    if (!exp.metadata.finalizers?.includes(EXPERIMENT_FINALIZER)) return {};
    const ns = exp.metadata.namespace ?? "";
    const path = paths.experiment(ns, exp.metadata.name);
    try {
      await this.deleteJobs(exp);
      await this.releasePods(this.podsOf(ns, exp.metadata.name));
      const status = exp.status ?? {};
      const parsed = parseMemeExperiment({ apiVersion: API_VERSION, kind: KIND, metadata: pickMeta(exp), spec: exp.spec });
      const target = parsed.ok ? trackingTarget(parsed.value.spec, ns, this.d.settings.defaultTrackingUri) : undefined;
      if (target && status.mlflow?.runId && !exp.metadata.annotations?.[RUN_CLOSED_ANNOTATION]) await this.closeRun(exp, target, status, "KILLED");
    } catch (err) {
      const waited = Date.now() - Date.parse(exp.metadata.deletionTimestamp ?? new Date().toISOString());
      if (waited < (this.d.settings.finalizerTimeoutMs ?? 60_000)) throw err;
      this.d.events.event(exp, "Warning", "CleanupAbandoned", `clean-up did not finish within the timeout, removing the finalizer anyway: ${String(err)}`);
    }
    await removeFinalizer(this.d.client, path, exp, EXPERIMENT_FINALIZER).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    this.d.metrics.forgetExperiment(ns, exp.metadata.name);
    return {};
  }

  /** Stop the experiment's Jobs: deleted, their pods with them (background propagation). */
  private async deleteJobs(exp: ExperimentObject): Promise<void> {
    const ns = exp.metadata.namespace ?? "";
    for (const job of this.d.jobs.list((j) => j.metadata.namespace === ns && j.metadata.labels?.[LABEL.experiment] === exp.metadata.name)) {
      await this.d.client.request("DELETE", paths.job(ns, job.metadata.name), { query: { propagationPolicy: "Background" } }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    }
  }

  private observeJobDuration(u: ObservedUnit, result: (typeof JOB_RESULTS)[number], gpus: number): void {
    const s = u.job?.status;
    const end = s?.completionTime ?? (jobCondition(u.job, "Failed")?.lastTransitionTime);
    if (!s?.startTime || !end) return;
    const seconds = (Date.parse(end) - Date.parse(s.startTime)) / 1000;
    this.d.metrics.jobDuration.observe({ stage: u.unit.key, result }, seconds);
    if (gpus > 0) this.d.metrics.gpuSeconds.inc({ namespace: u.job?.metadata.namespace ?? "", stage: u.unit.key }, gpus * seconds);
  }
}

/** What another experiment's dependency check needs of this one; a spec that does not parse names no dependency. */
function dependencyView(exp: ExperimentObject): DependencyView {
  const from = (exp.spec as Partial<MemeExperimentSpec> | undefined)?.model?.initialWeights?.fromExperiment;
  return { name: exp.metadata.name, ...(typeof from === "string" && { fromExperiment: from }), status: exp.status, deleting: !!exp.metadata.deletionTimestamp };
}

function pickMeta(exp: ExperimentObject) {
  const m = exp.metadata;
  return { name: m.name, namespace: m.namespace, uid: m.uid, generation: m.generation, labels: m.labels, annotations: m.annotations };
}
