// Wires the operator together: informers (all replicas, so a standby is warm), leader election (only the leader
// runs reconcile workers), the work queue, the HTTP servers (/metrics; /healthz and /readyz; trainer reports),
// and a graceful stop that drains the workers and releases the Lease.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { MemeExperimentController, type ControllerSettings, type ExperimentObject } from "./controllers/memeexperiment-controller.ts";
import { MANAGED_SELECTOR } from "./builders/names.ts";
import { KubeClient } from "./kube/client.ts";
import { loadConnection } from "./kube/kubeconfig.ts";
import { apiEventRecorder } from "./kube/events.ts";
import { Informer, type InformerEvent, type KubeObject } from "./kube/informer.ts";
import { defaultIdentity, LeaderElector } from "./kube/leader-election.ts";
import { paths } from "./kube/paths.ts";
import type { JobObject, PodObject } from "./kube/types.ts";
import { WorkQueue } from "./kube/workqueue.ts";
import type { Logger } from "./log.ts";
import { CONTROLLER, OperatorMetrics } from "./metrics.ts";
import { TokenAuthenticator } from "./reporting/authenticator.ts";
import { REPORT_PATH, reportHandler } from "./reporting/server.ts";
import { httpsServer, readKeyPair, readTrustedCa, type ReportTls } from "./reporting/tls.ts";
import { MlflowRuns } from "./tracking/mlflow-runs.ts";

export interface ManagerOptions extends ControllerSettings {
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
  leaderElect?: boolean;
  leaseNamespace?: string;
  leaseName?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
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

export async function startManager(o: ManagerOptions): Promise<Manager> {
  // TLS files are read before anything starts: a missing one stops the operator with the file named.
  if (o.reportTls) readKeyPair(o.reportTls);
  const reportCa = readTrustedCa(o.reportTls);
  const metrics = new OperatorMetrics();
  const client = new KubeClient(await loadConnection(o.kubeconfig), (verb, resource) => metrics.apiRequests.inc({ verb, resource }));
  const log = o.log;
  const identity = o.identity ?? defaultIdentity();
  const nss = o.namespaces?.length ? o.namespaces : [undefined];
  const resyncMs = o.resyncMs ?? 300_000;
  const experiments = new Informer<ExperimentObject>(client, { name: "memeexperiments", paths: nss.map((n) => paths.experiments(n)), resyncMs, log });
  const jobs = new Informer<JobObject>(client, { name: "jobs", paths: nss.map((n) => paths.jobs(n)), labelSelector: MANAGED_SELECTOR, log });
  const pods = new Informer<PodObject>(client, { name: "pods", paths: nss.map((n) => paths.pods(n)), labelSelector: MANAGED_SELECTOR, log });
  const queue = new WorkQueue({ metrics: metrics.queue(CONTROLLER) });
  const mlflow = new MlflowRuns(async (ns, name) => {
    const s = await client.request<{ data?: Record<string, string> }>("GET", paths.secret(ns, name));
    return s.data;
  });
  const controller = new MemeExperimentController({
    client,
    experiments,
    jobs,
    pods,
    mlflow,
    metrics,
    log,
    events: apiEventRecorder(client, "memeops-operator", identity, log),
    settings: { ...o, resyncMs, reportCa },
  });

  const enqueue = (kind: string) => (_type: InformerEvent, obj: KubeObject) => {
    for (const key of controller.keysFor({ ...obj, kind })) queue.add(key);
  };
  experiments.on(enqueue("MemeExperiment"));
  jobs.on(enqueue("Job"));
  pods.on(enqueue("Pod"));
  experiments.start();
  jobs.start();
  pods.start();

  let leading = false;
  const stopped = new AbortController();
  const workers: Promise<void>[] = [];
  const startWorkers = () => {
    leading = true;
    metrics.setLeading(true);
    for (let i = 0; i < (o.workers ?? 4); i++) workers.push(worker());
  };
  const worker = async () => {
    while (!(experiments.hasSynced() && jobs.hasSynced() && pods.hasSynced()) && !stopped.signal.aborted) await new Promise((r) => setTimeout(r, 50));
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      const end = metrics.reconcileTime.startTimer({ controller: CONTROLLER });
      try {
        const r = await controller.reconcile(key);
        queue.forget(key);
        metrics.reconcileTotal.inc({ controller: CONTROLLER, result: r.requeueAfterMs ? "requeue_after" : "success" });
        if (r.requeueAfterMs) queue.addAfter(key, r.requeueAfterMs);
      } catch (err) {
        metrics.reconcileTotal.inc({ controller: CONTROLLER, result: "error" });
        metrics.reconcileErrors.inc({ controller: CONTROLLER });
        log.warn("reconcile failed", { key, retries: queue.retries(key), err: String((err as Error).message ?? err) });
        queue.addRateLimited(key);
      } finally {
        end();
        queue.done(key);
      }
    }
  };

  // Only the leader counts phases (once its cache is complete): a standby exporting the same counts would double them.
  const phaseTimer = setInterval(() => {
    if (leading && !stopped.signal.aborted && experiments.hasSynced()) metrics.setPhaseCounts(experiments.list().map((e) => e.status?.phase));
  }, 2_000);
  phaseTimer.unref();

  const host = o.bindAddress ?? "0.0.0.0";
  const servers: Server[] = [];
  type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
  const listen = async (port: number | undefined, handler: Handler, tls?: ReportTls) => {
    if (port === undefined) return undefined;
    const serve = (req: IncomingMessage, res: ServerResponse) => void handler(req, res);
    const server = tls ? httpsServer(tls, serve, { warn: (msg, fields) => log.warn(msg, fields) }) : createServer(serve);
    servers.push(server);
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
    return (server.address() as AddressInfo).port;
  };
  const synced = () => experiments.hasSynced() && jobs.hasSynced() && pods.hasSynced();
  const reports = reportHandler({ client, auth: new TokenAuthenticator(client), pods, jobs, metrics, log });
  const ports = {
    metrics: await listen(o.metricsPort, async (req, res) => {
      if (req.url !== "/metrics") return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": metrics.registry.contentType }).end(await metrics.registry.metrics());
    }),
    health: await listen(o.healthPort, (req, res) => {
      if (req.url === "/healthz") return void res.writeHead(200).end("ok");
      if (req.url === "/readyz") return void (synced() ? res.writeHead(200).end("ok") : res.writeHead(503).end("informers not synced"));
      res.writeHead(404).end();
    }),
    report: await listen(o.reportPort, (req, res) => (req.url === REPORT_PATH ? reports(req, res) : void res.writeHead(404).end()), o.reportTls),
  };

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let elector: LeaderElector | undefined;
  const stop = async () => {
    if (stopped.signal.aborted) return done;
    stopped.abort();
    // the experiment-level series go now (later writes by draining workers are ignored): the next leader exports them
    metrics.setLeading(false);
    queue.shutdown();
    // Workers finish the reconcile they are in; one stuck for 10 s is not waited for (nor is its timer kept alive:
    // a pending timer would hold the process open after everything else stopped).
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(workers), new Promise((r) => (drainTimer = setTimeout(r, 10_000)))]);
    clearTimeout(drainTimer);
    await elector?.release();
    experiments.stop();
    jobs.stop();
    pods.stop();
    clearInterval(phaseTimer);
    for (const s of servers) s.closeAllConnections(), s.close();
    log.info("operator stopped");
    resolveDone();
  };

  if (o.leaderElect) {
    elector = new LeaderElector(client, {
      namespace: o.leaseNamespace ?? "default",
      name: o.leaseName ?? "memeops-operator",
      identity,
      leaseDurationMs: o.leaseDurationMs,
      renewDeadlineMs: o.renewDeadlineMs,
      retryPeriodMs: o.retryPeriodMs,
      log,
    });
    void elector.run(startWorkers, () => void stop());
  } else startWorkers();
  log.info("operator started", { namespaces: o.namespaces ?? "all", leaderElect: !!o.leaderElect, identity, ports });

  return { client, metrics, identity, ports, isLeader: () => leading && !stopped.signal.aborted, stop, done };
}
