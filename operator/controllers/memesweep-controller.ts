// The one reconciler of MemeSweeps. Level-triggered: it reads the sweep and its trials (MemeExperiments it owns) from
// the informer caches, computes the next status and the actions (operator/status/sweep.ts), writes the status FIRST
// (the parameters of every new trial are recorded before the trial exists), then acts: creates the recorded trials,
// annotates those to prune or stop, makes their suspend follow the sweep's, deletes evicted ones to re-run them.
// Names are deterministic and "already exists" means "adopt", so a restart or SIGKILL never makes a different or a
// second trial. Deleting the sweep deletes its trials (owner references; their own finalizer closes their runs).
import type { Logger } from "../../api/contract/log.ts";
import { PRUNE_ANNOTATION } from "../../api/contract/prune.ts";
import { SWEEP_LABEL, TRIAL_INDEX_LABEL, trialsCsv } from "../../api/contract/sweep.ts";
import { API_VERSION, SWEEP } from "../../api/v1alpha1/groupversion.ts";
import type { MemeSweepSpec } from "../../api/v1alpha1/sweep-spec.ts";
import { objectiveDirection } from "../../api/v1alpha1/sweep-spec.ts";
import type { MemeSweepStatus } from "../../api/v1alpha1/sweep-status.ts";
import { parseMemeSweep } from "../../api/v1alpha1/parse.ts";
import { algorithmConfig, createAlgorithm, prunerConfig, searchSpace, type PrunerConfig, type SearchAlgorithm } from "../../search/index.ts";
import { buildTrial } from "../builders/trial.ts";
import { isAlreadyExists, isConflict, isNotFound, type KubeClient } from "../kube/client.ts";
import type { EventRecorder } from "../kube/events.ts";
import { keyOf, type Informer, type KubeObject } from "../kube/informer.ts";
import { OwnWrites } from "../kube/own-writes.ts";
import { mergePatch, topLevelMergePatch } from "../kube/patch.ts";
import { paths } from "../kube/paths.ts";
import type { OperatorMetrics } from "../metrics.ts";
import { trackingTarget, type MlflowRuns } from "../tracking/mlflow-runs.ts";
import { invalidSweepStatus, planSweep, type SweepPlan, type TrialObject } from "../status/sweep.ts";

export type SweepObject = KubeObject & { spec?: unknown; status?: MemeSweepStatus };

export interface SweepControllerDeps {
  client: KubeClient;
  sweeps: Informer<SweepObject>;
  experiments: Informer<TrialObject>;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  /** safety requeue of live sweeps, in case an event was missed */
  resyncMs?: number;
  mlflow?: MlflowRuns;
  defaultTrackingUri?: string;
}

export class MemeSweepController {
  private readonly written: OwnWrites<SweepObject>;

  constructor(private readonly d: SweepControllerDeps) {
    this.written = new OwnWrites(d.sweeps);
  }

  /** Keys to reconcile when an object changes: a sweep itself; a trial's sweep. */
  keysFor(obj: KubeObject): string[] {
    const ns = obj.metadata.namespace ?? "";
    if (obj.kind === SWEEP.kind) return [keyOf(obj)];
    const sweep = obj.metadata.labels?.[SWEEP_LABEL];
    return sweep ? [`${ns}/${sweep}`] : [];
  }

  async reconcile(key: string): Promise<{ requeueAfterMs?: number }> {
    const [namespace = "", name = ""] = key.split("/");
    const sweep = this.written.latest(key);
    if (!sweep) {
      this.d.metrics.forgetSweep(namespace, name);
      return {};
    }
    // Its trials go with it (garbage collector, owner references): nothing to do while it is deleted.
    if (sweep.metadata.deletionTimestamp) return {};
    const now = new Date().toISOString();
    const status = sweep.status ?? {};
    const parsed = parseMemeSweep({ apiVersion: API_VERSION, kind: SWEEP.kind, metadata: pickMeta(sweep), spec: sweep.spec, status: { ...(status.trialsCreated !== undefined && { trialsCreated: status.trialsCreated }) } });
    let search: { algorithm: SearchAlgorithm; pruner?: PrunerConfig } | undefined;
    let invalid = parsed.ok ? undefined : parsed.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
    if (parsed.ok) {
      try {
        search = searchOf(parsed.value.spec);
      } catch (err) {
        invalid = `spec: ${(err as Error).message}`;
      }
    }
    if (!parsed.ok || !search) {
      await this.writeStatus(sweep, invalidSweepStatus(status, sweep.metadata.generation, invalid ?? "invalid", now));
      return {};
    }
    const spec = parsed.value.spec;
    const trials = this.trialsOf(sweep);
    const plan = planSweep({ name, spec, generation: sweep.metadata.generation, status, trials, ...search, now });
    const run = await this.parentRun(sweep, spec, plan.status);
    if (run) plan.status.mlflow = run;
    await this.writeStatus(sweep, plan.status);
    await this.act(sweep, spec, plan);
    this.d.metrics.setSweep(namespace, name, plan.status, spec.objective.metric);
    if (plan.status.completionTime) return {};
    const resync = this.d.resyncMs ?? 300_000;
    return { requeueAfterMs: plan.deadlineInMs !== undefined ? Math.min(resync, plan.deadlineInMs + 1000) : resync };
  }

  /** The sweep's trials that exist and are its own, by index. */
  private trialsOf(sweep: SweepObject): Map<number, TrialObject> {
    const ns = sweep.metadata.namespace ?? "";
    const out = new Map<number, TrialObject>();
    const mine = this.d.experiments.list(
      (e) => e.metadata.namespace === ns && e.metadata.labels?.[SWEEP_LABEL] === sweep.metadata.name && !!e.metadata.ownerReferences?.some((o) => o.controller && o.uid === sweep.metadata.uid),
    );
    for (const e of mine) out.set(Number(e.metadata.labels?.[TRIAL_INDEX_LABEL]), e);
    return out;
  }

  private async act(sweep: SweepObject, spec: MemeSweepSpec, plan: SweepPlan): Promise<void> {
    const ns = sweep.metadata.namespace ?? "";
    const ref = { name: sweep.metadata.name, namespace: ns, uid: sweep.metadata.uid ?? "", labels: sweep.metadata.labels, mlflowRunId: plan.status.mlflow?.runId };
    for (const c of plan.create) {
      const body = buildTrial(ref, spec.trialTemplate, c.index, c.spec, spec.suspend);
      try {
        await this.d.client.request("POST", paths.experiments(ns), { body });
      } catch (err) {
        // Created by an earlier run of this reconcile whose answer was lost (or a crash): the same trial.
        if (!isAlreadyExists(err)) throw err;
      }
    }
    for (const p of plan.prune) {
      await mergePatch(this.d.client, paths.experiment(ns, p.name), { metadata: { annotations: { [PRUNE_ANNOTATION]: JSON.stringify(p.record) } } }).catch(ignoreNotFound);
      if (p.record.rule !== "stopped") this.d.events.event(sweep, "Normal", "TrialPruned", `${p.name}: ${p.record.message}`);
    }
    for (const s of plan.suspend) {
      await mergePatch(this.d.client, paths.experiment(ns, s.name), { spec: { suspend: s.suspend } }).catch(ignoreNotFound);
    }
    for (const r of plan.rerun) {
      await this.d.client
        .request("DELETE", paths.experiment(ns, r.name), { body: { preconditions: { uid: r.uid } }, query: { propagationPolicy: "Background" } })
        .catch((e) => (isNotFound(e) || isConflict(e) ? undefined : Promise.reject(e)));
    }
  }

  /**
   * The sweep's MLflow parent run (where the template's trials track to): created once (found again by the sweep's
   * uid after a restart), ended with the sweep after its trials table is uploaded. Best effort: an unreachable MLflow
   * costs the parent link of the trials created meanwhile, never the sweep.
   */
  private async parentRun(sweep: SweepObject, spec: MemeSweepSpec, next: MemeSweepStatus): Promise<MemeSweepStatus["mlflow"]> {
    const ns = sweep.metadata.namespace ?? "";
    const target = this.d.mlflow && trackingTarget(spec.trialTemplate.spec, ns, this.d.defaultTrackingUri);
    if (!target || !this.d.mlflow) return undefined;
    let run = sweep.status?.mlflow;
    try {
      if (!run) run = await this.d.mlflow.ensureRun(target, ns, sweep.metadata.name, sweep.metadata.uid ?? "", { [SWEEP_LABEL]: sweep.metadata.name });
      if (next.completionTime && !run.closed) {
        await this.d.mlflow.uploadText(target, ns, run.runId, "trials.csv", trialsCsv(spec.objective.metric, next.trials ?? []));
        await this.d.mlflow.terminate(target, ns, run.runId, next.phase === "Succeeded" ? "FINISHED" : "FAILED");
        run = { ...run, closed: true };
      }
    } catch (err) {
      this.d.log.warn("sweep MLflow run", { sweep: keyOf(sweep), err: String((err as Error).message ?? err) });
    }
    return run;
  }

  /** Write the status when it changed, conditional on the version read: a stale read never wins. */
  private async writeStatus(sweep: SweepObject, after: MemeSweepStatus): Promise<void> {
    const before = sweep.status ?? {};
    const patch = topLevelMergePatch(before as Record<string, unknown>, after as Record<string, unknown>);
    if (Object.keys(patch).length === 0) return;
    try {
      this.written.remember(
        await mergePatch<SweepObject>(this.d.client, paths.sweepStatus(sweep.metadata.namespace ?? "", sweep.metadata.name), {
          metadata: { resourceVersion: sweep.metadata.resourceVersion },
          status: patch,
        }),
      );
    } catch (err) {
      if (isConflict(err)) throw new Error(`status of ${keyOf(sweep)} changed meanwhile; retrying with a fresh read`);
      throw err;
    }
    if (after.phase !== before.phase && (after.phase === "Failed" || after.phase === "Succeeded")) {
      const c = after.conditions?.find((x) => x.type === after.phase);
      this.d.events.event(sweep, after.phase === "Failed" ? "Warning" : "Normal", c?.reason ?? after.phase, c?.message ?? after.phase);
    }
  }
}

/** The search algorithm and the pruning rule a valid spec names (a space the search refuses throws, naming it). */
function searchOf(spec: MemeSweepSpec): { algorithm: SearchAlgorithm; pruner?: PrunerConfig } {
  const algorithm = createAlgorithm(algorithmConfig(spec.algorithm), searchSpace(spec.parameters), objectiveDirection(spec.objective));
  const pruner = prunerConfig(spec.earlyStopping, spec.trialTemplate.spec.training.epochs);
  return { algorithm, ...(pruner && { pruner }) };
}

const ignoreNotFound = (e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e));

function pickMeta(o: SweepObject) {
  const m = o.metadata;
  return { name: m.name, namespace: m.namespace, uid: m.uid, generation: m.generation, labels: m.labels, annotations: m.annotations };
}
