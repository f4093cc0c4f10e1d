// Kueue Workloads of the operator's Jobs: listed by the label Kueue puts on each (the Job's uid) and switched between
// active and inactive. That is how a queued experiment is suspended: Kueue starts an admitted Job again if anyone
// else suspends it, but stops the Job of an inactive Workload and does not admit it until it is active again.
// kueue.x-k8s.io/v1beta1: served by every Kueue release from v0.5 on (v0.15+ alongside v1beta2).
import { isConflict, isNotFound, type KubeClient } from "./client.ts";
import { mergePatch } from "./patch.ts";
import type { KubeObject } from "./informer.ts";

const API = "/apis/kueue.x-k8s.io/v1beta1";
export const JOB_UID_LABEL = "kueue.x-k8s.io/job-uid";
/** Marks a Workload the operator deactivated, so it re-activates only those (not ones Kueue itself deactivated). */
export const DEACTIVATED_ANNOTATION = "memeops.io/deactivated";

export interface WorkloadObject extends KubeObject {
  spec?: { active?: boolean };
}

export const workloadPaths = {
  workloads: (namespace: string) => `${API}/namespaces/${namespace}/workloads`,
  workload: (namespace: string, name: string) => `${API}/namespaces/${namespace}/workloads/${name}`,
};

/**
 * Make the Workloads of Job `jobUid` active or not; returns how many there are (0: Kueue has not made one yet, so
 * a suspension must be tried again). Writes only where the state differs.
 */
export async function setWorkloadsActive(client: KubeClient, namespace: string, jobUid: string, active: boolean): Promise<number> {
  const list = await client
    .request<{ items: WorkloadObject[] }>("GET", workloadPaths.workloads(namespace), { query: { labelSelector: `${JOB_UID_LABEL}=${jobUid}` } })
    .catch((err) => {
      if (isNotFound(err)) throw new Error(`the experiment names a Kueue queue, but the cluster serves no kueue.x-k8s.io/v1beta1 Workloads: is Kueue installed?`);
      throw err;
    });
  for (const wl of list.items) {
    const mine = wl.metadata.annotations?.[DEACTIVATED_ANNOTATION] === "true";
    if ((wl.spec?.active ?? true) === active || (active && !mine)) continue;
    try {
      await mergePatch(client, workloadPaths.workload(namespace, wl.metadata.name), {
        metadata: { resourceVersion: wl.metadata.resourceVersion, annotations: { [DEACTIVATED_ANNOTATION]: active ? null : "true" } },
        spec: { active },
      });
    } catch (err) {
      if (isConflict(err)) throw new Error(`Workload ${wl.metadata.name} changed meanwhile; retrying with a fresh read`);
      throw err;
    }
  }
  return list.items.length;
}
