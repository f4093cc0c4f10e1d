// The reconcile workers (leader only): each waits for the caches to be complete, then takes keys off the queue until
// it shuts down; a failed reconcile is retried with the queue's backoff, a requested requeue comes back after its delay.
import type { Logger } from "../../api/contract/log.ts";
import type { WorkQueue } from "../kube/workqueue.ts";
import type { OperatorMetrics } from "../metrics.ts";

export interface Reconciler {
  reconcile(key: string): Promise<{ requeueAfterMs?: number }>;
}

export interface WorkerDeps {
  /** the controller's name in the metrics (controller label) */
  name: string;
  queue: WorkQueue;
  controller: Reconciler;
  metrics: OperatorMetrics;
  log: Logger;
  synced: () => boolean;
  stopped: AbortSignal;
}

export function startWorkers(count: number, d: WorkerDeps): Promise<void>[] {
  return Array.from({ length: count }, () => worker(d));
}

async function worker({ name: CONTROLLER, queue, controller, metrics, log, synced, stopped }: WorkerDeps): Promise<void> {
  while (!synced() && !stopped.aborted) await new Promise((r) => setTimeout(r, 50));
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
}
