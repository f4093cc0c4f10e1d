// Kueue Workloads of the operator's Jobs: watched by an informer (started only where the cluster serves them),
// found by their owner Job's uid, and switched between active and inactive. That is how a queued experiment is
// suspended: Kueue starts an admitted Job again if anyone else suspends it, but stops the Job of an inactive Workload
// and does not admit it until it is active again. Their conditions say why a Job waits (operator/status/kueue.ts).
// kueue.x-k8s.io/v1beta1: served by every Kueue release from v0.5 on (v0.15+ alongside v1beta2).
import { ApiError, isConflict, isNotFound, type KubeClient } from "./client.ts";
import { Informer, keyOf, type KubeObject } from "./informer.ts";
import { OwnWrites } from "./own-writes.ts";
import { mergePatch } from "./patch.ts";
import type { Logger } from "../../api/contract/log.ts";

const GROUP_VERSION = "/apis/kueue.x-k8s.io/v1beta1";
export const JOB_UID_LABEL = "kueue.x-k8s.io/job-uid";
/** Marks a Workload the operator deactivated, so it re-activates only those (not ones Kueue itself deactivated). */
export const DEACTIVATED_ANNOTATION = "memeops.io/deactivated";

export interface WorkloadCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** The fields of a Workload the operator reads: never its podSets (the Job's pod template, env included). */
export interface WorkloadObject extends KubeObject {
  spec?: { active?: boolean; queueName?: string; maximumExecutionTimeSeconds?: number };
  status?: {
    conditions?: WorkloadCondition[];
    admission?: { clusterQueue?: string };
    requeueState?: { count?: number; requeueAt?: string };
  };
}

export const workloadPaths = {
  workloads: (namespace?: string) => `${GROUP_VERSION}${namespace ? `/namespaces/${namespace}` : ""}/workloads`,
  workload: (namespace: string, name: string) => `${GROUP_VERSION}/namespaces/${namespace}/workloads/${name}`,
};

/** Whether the API server serves Workloads (discovery: any authenticated client may read it). */
export async function workloadsServed(client: KubeClient): Promise<boolean> {
  try {
    const list = await client.request<{ resources?: { name: string }[] }>("GET", GROUP_VERSION);
    return !!list.resources?.some((r) => r.name === "workloads");
  } catch (err) {
    if (err instanceof ApiError && (err.code === 404 || err.code === 503)) return false;
    throw err;
  }
}

/** The uids of the Jobs that own a Workload: what the informer indexes it by. */
export function ownerJobUids(wl: KubeObject): string[] {
  const owners = (wl.metadata.ownerReferences ?? []).filter((o) => o.kind === "Job" && o.apiVersion.startsWith("batch/")).map((o) => o.uid);
  const label = wl.metadata.labels?.[JOB_UID_LABEL];
  return label && !owners.includes(label) ? [...owners, label] : owners;
}

/**
 * The part of a Workload the operator keeps: metadata and the fields of WorkloadObject. Its podSets (the Job's pod
 * template, env included) and the admission's flavor assignments are most of its size and never read.
 */
export function keptWorkload(o: KubeObject): WorkloadObject {
  const { spec, status } = o as WorkloadObject;
  const admission = status?.admission && { clusterQueue: status.admission.clusterQueue };
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: o.metadata,
    spec: { active: spec?.active, queueName: spec?.queueName, maximumExecutionTimeSeconds: spec?.maximumExecutionTimeSeconds },
    status: { conditions: status?.conditions, admission, requeueState: status?.requeueState },
  };
}

export function workloadsInformer(client: KubeClient, namespaces: readonly (string | undefined)[], log: Logger): Informer<WorkloadObject> {
  return new Informer<WorkloadObject>(client, { name: "workloads", paths: namespaces.map((n) => workloadPaths.workloads(n)), indexBy: ownerJobUids, transform: keptWorkload, log });
}

/**
 * The Workloads of the operator's Jobs, from the informer, as the operator's own writes left them. The informer
 * replaced a list per reconcile, which was there because a deactivation may have been written by a reconcile whose
 * status write then failed: the next reconcile must see that write, and an informer may not have it yet. OwnWrites
 * keeps the PATCH answer until the informer has caught up, so the next reconcile works from it; a write from a
 * copy older than both still fails on its resourceVersion precondition and is retried, and the watch event of every
 * change enqueues the experiment again, so a stale cache costs a retry, never a missed (re)activation.
 */
export class Workloads {
  private readonly written: OwnWrites<WorkloadObject>;

  constructor(
    private readonly client: KubeClient,
    private readonly informer: Pick<Informer<WorkloadObject>, "get" | "byIndex" | "on">,
  ) {
    this.written = new OwnWrites(informer);
  }

  /** The Workloads of Job `jobUid`, oldest first (Kueue may replace one; the last is the current one). */
  ofJob(jobUid: string): WorkloadObject[] {
    return this.informer
      .byIndex(jobUid)
      .map((wl) => this.written.latest(keyOf(wl)) ?? wl)
      .sort((a, b) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? ""));
  }

  /**
   * Make the Workloads of Job `jobUid` active or not; returns how many there are (0: Kueue has not made one yet, so
   * a suspension must be tried again). Writes only where the state differs; re-activates only what it deactivated.
   */
  async setActive(jobUid: string, active: boolean): Promise<number> {
    const list = this.ofJob(jobUid);
    for (const wl of list) {
      const mine = wl.metadata.annotations?.[DEACTIVATED_ANNOTATION] === "true";
      if ((wl.spec?.active ?? true) === active || (active && !mine)) continue;
      try {
        const written = await mergePatch<WorkloadObject>(this.client, workloadPaths.workload(wl.metadata.namespace ?? "", wl.metadata.name), {
          metadata: { resourceVersion: wl.metadata.resourceVersion, annotations: { [DEACTIVATED_ANNOTATION]: active ? null : "true" } },
          spec: { active },
        });
        this.written.remember(keptWorkload(written));
      } catch (err) {
        if (isConflict(err)) throw new Error(`Workload ${wl.metadata.name} changed meanwhile; retrying with a fresh read`);
        if (isNotFound(err)) continue; // gone with its Job
        throw err;
      }
    }
    return list.length;
  }
}
