// Wires the operator together from its named parts: the controller's watches (informers on all replicas, so a
// standby is warm), the election (manager/election.ts: only the leader runs the reconcile workers, manager/workers.ts),
// the HTTP servers (manager/http.ts: /metrics; /healthz and /readyz; trainer reports) and the graceful stop
// (manager/shutdown.ts: drains the workers, releases the Lease).
import { MemeExperimentController, type ControllerSettings } from "./controllers/memeexperiment-controller.ts";
import { memeExperimentWatches, startWatches, stopWatches, watchesSynced } from "./controllers/memeexperiment-watches.ts";
import { MemeSweepController } from "./controllers/memesweep-controller.ts";
import { memeSweepWatches, startSweepWatches, stopSweepWatches, sweepWatchesSynced } from "./controllers/memesweep-watches.ts";
import { KubeClient } from "./kube/client.ts";
import { loadConnection } from "./kube/kubeconfig.ts";
import { apiEventRecorder } from "./kube/events.ts";
import { defaultIdentity, type LeaderElector } from "./kube/leader-election.ts";
import { paths } from "./kube/paths.ts";
import { WorkQueue } from "./kube/workqueue.ts";
import { workloadsServed } from "./kube/workloads.ts";
import { backoffMs, sleep } from "./kube/backoff.ts";
import type { Logger } from "../api/contract/log.ts";
import { CONTROLLER, OperatorMetrics, SWEEP_CONTROLLER } from "./metrics.ts";
import { TokenAuthenticator } from "./reporting/authenticator.ts";
import { reportHandler } from "./reporting/server.ts";
import { readKeyPair, readTrustedCa, type ReportTls } from "./reporting/tls.ts";
import { MlflowRuns } from "./tracking/mlflow-runs.ts";
import { runForLeadership, type ElectionOptions } from "./manager/election.ts";
import { startHttpServers } from "./manager/http.ts";
import { gracefulStop } from "./manager/shutdown.ts";
import { startWorkers } from "./manager/workers.ts";

export interface ManagerOptions extends ControllerSettings, Omit<ElectionOptions, "identity" | "log"> {
  kubeconfig?: string;
  /** watch only these namespaces; empty: all */
  namespaces?: string[];
  metricsPort?: number;
  healthPort?: number;
  /** where trainers POST reports; undefined: no endpoint */
  reportPort?: number;
  /** serve the report endpoint over HTTPS with this pair (and tell trainers its CA); undefined: plain HTTP */
  reportTls?: ReportTls;
  bindAddress?: string;
  workers?: number;
  /** this replica's name in the Lease and in its Events' reportingInstance; default hostname_random */
  identity?: string;
  log: Logger;
}

export interface Manager {
  client: KubeClient;
  metrics: OperatorMetrics;
  identity: string;
  ports: { metrics?: number; health?: number; report?: number };
  isLeader(): boolean;
  stop(): Promise<void>;
  /** resolves when the manager has stopped (lost leadership or stop()) */
  done: Promise<void>;
}

/** A start-up read that a briefly unreachable API server must not fail: tried 5 times with backoff, then thrown. */
async function retried<T>(read: () => Promise<T>, what: string, log: Logger): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (attempt >= 5) throw new Error(`${what} failed ${attempt} times: ${String(err)}`);
      log.warn(`${what} failed; retrying`, { attempt, err: String(err) });
      await sleep(backoffMs(attempt, 500, 8_000));
    }
  }
}

export async function startManager(o: ManagerOptions): Promise<Manager> {
  // TLS files are read before anything starts: a missing one stops the operator with the file named.
  if (o.reportTls) readKeyPair(o.reportTls);
  const reportCa = readTrustedCa(o.reportTls);
  const metrics = new OperatorMetrics();
  const client = new KubeClient(await loadConnection(o.kubeconfig), (verb, resource) => metrics.apiRequests.inc({ verb, resource }));
  const log = o.log;
  const identity = o.identity ?? defaultIdentity();
  const resyncMs = o.resyncMs ?? 300_000;
  // Kueue's Workloads are watched only where the cluster serves them: without Kueue the operator works as before,
  // and an experiment that names a queue says Kueue is missing. Decided once: installing Kueue later needs a restart.
  const kueue = await retried(() => workloadsServed(client), "Kueue discovery", log);
  const watches = memeExperimentWatches(client, { namespaces: o.namespaces, resyncMs, log, kueue });
  const sweepWatches = memeSweepWatches(client, watches.experiments, { namespaces: o.namespaces, resyncMs, log });
  const synced = () => watchesSynced(watches) && sweepWatchesSynced(sweepWatches);
  const queue = new WorkQueue({ metrics: metrics.queue(CONTROLLER) });
  const sweepQueue = new WorkQueue({ metrics: metrics.queue(SWEEP_CONTROLLER) });
  const mlflow = new MlflowRuns(async (ns, name) => {
    const s = await client.request<{ data?: Record<string, string> }>("GET", paths.secret(ns, name));
    return s.data;
  });
  const events = apiEventRecorder(client, "memeops-operator", identity, log);
  const controller = new MemeExperimentController({
    client,
    ...watches,
    mlflow,
    metrics,
    log,
    events,
    settings: { ...o, resyncMs, reportCa },
  });
  const sweepController = new MemeSweepController({ client, ...sweepWatches, events, metrics, log, resyncMs, mlflow, defaultTrackingUri: o.defaultTrackingUri });
  // The sweeps' handlers first: the experiments informer starts with the MemeExperiment watches and must list to both.
  startSweepWatches(sweepWatches, (obj) => sweepController.keysFor(obj), (key) => sweepQueue.add(key));
  startWatches(watches, (obj) => controller.keysFor(obj), (key) => queue.add(key));

  let leading = false;
  const stopped = new AbortController();
  const workers: Promise<void>[] = [];

  // Only the leader counts phases (once its cache is complete): a standby exporting the same counts would double them.
  const phaseTimer = setInterval(() => {
    if (leading && !stopped.signal.aborted && watches.experiments.hasSynced()) metrics.setPhaseCounts(watches.experiments.list().map((e) => e.status?.phase));
  }, 2_000);
  phaseTimer.unref();

  const http = await startHttpServers({
    host: o.bindAddress ?? "0.0.0.0",
    metricsPort: o.metricsPort,
    healthPort: o.healthPort,
    reportPort: o.reportPort,
    reportTls: o.reportTls,
    metrics,
    synced,
    reports: reportHandler({ client, auth: new TokenAuthenticator(client), pods: watches.pods, jobs: watches.jobs, metrics, log }),
    log,
  });

  let elector: LeaderElector | undefined;
  const { stop, done } = gracefulStop({
    stopped,
    metrics,
    queues: [queue, sweepQueue],
    workers,
    elector: () => elector,
    close: () => {
      stopWatches(watches);
      stopSweepWatches(sweepWatches);
      clearInterval(phaseTimer);
      http.close();
    },
    log,
  });
  const lead = () => {
    leading = true;
    metrics.setLeading(true);
    workers.push(...startWorkers(o.workers ?? 4, { name: CONTROLLER, queue, controller, metrics, log, synced, stopped: stopped.signal }));
    workers.push(...startWorkers(2, { name: SWEEP_CONTROLLER, queue: sweepQueue, controller: sweepController, metrics, log, synced, stopped: stopped.signal }));
  };
  elector = runForLeadership(client, { ...o, identity, log }, lead, () => void stop());
  const ports = http.ports;
  log.info("operator started", { namespaces: o.namespaces ?? "all", leaderElect: !!o.leaderElect, identity, ports, kueue });

  return { client, metrics, identity, ports, isLeader: () => leading && !stopped.signal.aborted, stop, done };
}
