// The graceful stop (SIGTERM, stop(), or a lost Lease): the experiment-level series go first (the next leader exports
// them), the queue shuts, workers finish the reconcile they are in (one stuck for 10 s is not waited for), the Lease
// is released so a standby takes over at once, then the watches and the servers close.
import type { Logger } from "../../api/contract/log.ts";
import type { LeaderElector } from "../kube/leader-election.ts";
import type { WorkQueue } from "../kube/workqueue.ts";
import type { OperatorMetrics } from "../metrics.ts";

export interface ShutdownParts {
  stopped: AbortController;
  metrics: OperatorMetrics;
  /** every controller's queue */
  queues: readonly WorkQueue[];
  workers: readonly Promise<void>[];
  elector: () => LeaderElector | undefined;
  /** the watches, timers and servers, closed last */
  close: () => void;
  log: Logger;
}

const WORKER_DRAIN_MS = 10_000;

/** stop() for the manager (runs once; later calls wait for the first) and `done`, which resolves when it has run. */
export function gracefulStop(p: ShutdownParts): { stop: () => Promise<void>; done: Promise<void> } {
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const stop = async () => {
    if (p.stopped.signal.aborted) return done;
    p.stopped.abort();
    // later writes by draining workers are ignored
    p.metrics.setLeading(false);
    for (const q of p.queues) q.shutdown();
    // a pending timer would hold the process open after everything else stopped: cleared once the workers are done
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(p.workers), new Promise((r) => (drainTimer = setTimeout(r, WORKER_DRAIN_MS)))]);
    clearTimeout(drainTimer);
    await p.elector()?.release();
    p.close();
    p.log.info("operator stopped");
    resolveDone();
  };
  return { stop, done };
}
