// What the MemeSweep controller watches: the sweeps, and their trials through the experiments informer the
// MemeExperiment controller already runs (a trial carries its sweep's label). Every change is turned into the keys to
// reconcile by the controller's keysFor, so the controller declares both halves of its watch here, beside itself.
import type { KubeClient } from "../kube/client.ts";
import { Informer, type InformerEvent, type KubeObject } from "../kube/informer.ts";
import { paths } from "../kube/paths.ts";
import { SWEEP } from "../../api/v1alpha1/groupversion.ts";
import type { SweepObject } from "./memesweep-controller.ts";
import type { MemeExperimentWatches, WatchOptions } from "./memeexperiment-watches.ts";

export interface MemeSweepWatches {
  sweeps: Informer<SweepObject>;
  /** shared with the MemeExperiment controller */
  experiments: MemeExperimentWatches["experiments"];
}

export function memeSweepWatches(client: KubeClient, experiments: MemeSweepWatches["experiments"], o: WatchOptions): MemeSweepWatches {
  const nss = o.namespaces?.length ? o.namespaces : [undefined];
  return { sweeps: new Informer<SweepObject>(client, { name: "memesweeps", paths: nss.map((n) => paths.sweeps(n)), resyncMs: o.resyncMs, log: o.log }), experiments };
}

/** Starts the sweeps' watch (the experiments' is started with the MemeExperiment controller's), each change enqueuing the keys `keysFor` names. */
export function startSweepWatches(w: MemeSweepWatches, keysFor: (obj: KubeObject) => string[], enqueue: (key: string) => void): void {
  const on = (kind: string) => (_type: InformerEvent, obj: KubeObject) => {
    for (const key of keysFor({ ...obj, kind })) enqueue(key);
  };
  w.sweeps.on(on(SWEEP.kind));
  w.experiments.on(on("MemeExperiment"));
  w.sweeps.start();
}

export const sweepWatchesSynced = (w: MemeSweepWatches) => w.sweeps.hasSynced();
export const stopSweepWatches = (w: MemeSweepWatches) => w.sweeps.stop();
