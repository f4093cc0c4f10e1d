// What the MemeExperiment controller watches: the experiments, the Jobs and pods it made (by the managed label), and
// Kueue's Workloads (all of them in the watched namespaces, indexed by owner Job: Kueue copies no label of ours)
// where the cluster serves them.
// Every change is turned into the keys to reconcile by the controller's keysFor (the experiment itself, those that
// wait for it, a child's owner), so the controller declares both halves of its watch here, beside itself.
import { MANAGED_SELECTOR } from "../builders/names.ts";
import type { KubeClient } from "../kube/client.ts";
import { Informer, type InformerEvent, type KubeObject } from "../kube/informer.ts";
import { paths } from "../kube/paths.ts";
import { keptJob, keptPod, type JobObject, type PodObject } from "../kube/types.ts";
import { workloadsInformer, type WorkloadObject } from "../kube/workloads.ts";
import type { Logger } from "../../api/contract/log.ts";
import type { ExperimentObject } from "./memeexperiment-controller.ts";

export interface MemeExperimentWatches {
  experiments: Informer<ExperimentObject>;
  jobs: Informer<JobObject>;
  pods: Informer<PodObject>;
  workloads?: Informer<WorkloadObject>;
}

export interface WatchOptions {
  /** watch only these namespaces; empty: all */
  namespaces?: string[];
  resyncMs: number;
  log: Logger;
  /** watch Kueue's Workloads: only where the cluster serves them (kube/workloads.ts workloadsServed) */
  kueue?: boolean;
}

export function memeExperimentWatches(client: KubeClient, o: WatchOptions): MemeExperimentWatches {
  const nss = o.namespaces?.length ? o.namespaces : [undefined];
  return {
    experiments: new Informer<ExperimentObject>(client, { name: "memeexperiments", paths: nss.map((n) => paths.experiments(n)), resyncMs: o.resyncMs, log: o.log }),
    jobs: new Informer<JobObject>(client, { name: "jobs", paths: nss.map((n) => paths.jobs(n)), labelSelector: MANAGED_SELECTOR, transform: keptJob, log: o.log }),
    pods: new Informer<PodObject>(client, { name: "pods", paths: nss.map((n) => paths.pods(n)), labelSelector: MANAGED_SELECTOR, transform: keptPod, log: o.log }),
    ...(o.kueue && { workloads: workloadsInformer(client, nss, o.log) }),
  };
}

/** Starts the watches, each change enqueuing the keys `keysFor` names. */
export function startWatches(w: MemeExperimentWatches, keysFor: (obj: KubeObject) => string[], enqueue: (key: string) => void): void {
  const on = (kind: string) => (_type: InformerEvent, obj: KubeObject) => {
    for (const key of keysFor({ ...obj, kind })) enqueue(key);
  };
  w.experiments.on(on("MemeExperiment"));
  w.jobs.on(on("Job"));
  w.pods.on(on("Pod"));
  w.workloads?.on(on("Workload"));
  w.experiments.start();
  w.jobs.start();
  w.pods.start();
  w.workloads?.start();
}

export const watchesSynced = (w: MemeExperimentWatches) => w.experiments.hasSynced() && w.jobs.hasSynced() && w.pods.hasSynced() && (w.workloads?.hasSynced() ?? true);

export function stopWatches(w: MemeExperimentWatches): void {
  w.experiments.stop();
  w.jobs.stop();
  w.pods.stop();
  w.workloads?.stop();
}
