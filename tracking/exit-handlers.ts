// Marks the run when the trainer process ends without calling finish(): SIGTERM/SIGINT (a deleted
// Job, a preempted node) -> KILLED; an uncaught exception or unhandled rejection -> FAILED.
// Without this, crashed runs stay RUNNING in MLflow forever.
import type { Logger } from "../api/contract/log.ts";
import type { TerminalStatus } from "./names.ts";

export interface Finishable {
  finish(status: TerminalStatus, o?: { timeoutMs?: number }): Promise<boolean>;
  readonly finished: boolean;
  /** false: finish() only flushes, another party (the operator) sets the run's status */
  readonly setsStatus?: boolean;
}

/** The parts of `process` used; tests pass a fake. */
export interface ProcessLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  exit(code?: number): never;
  exitCode?: number | string | null | undefined;
}

export interface ExitHandlerOptions {
  proc?: ProcessLike;
  logger?: Logger;
  /** Kubernetes sends SIGKILL terminationGracePeriodSeconds (default 30 s) after SIGTERM: stay well inside. */
  timeoutMs?: number;
}

/** Installs the handlers; returns a function that removes them. */
export function installExitHandlers(tracker: Finishable, o: ExitHandlerOptions = {}): () => void {
  const proc = o.proc ?? (process as unknown as ProcessLike);
  const timeoutMs = o.timeoutMs ?? 20_000;
  let ending = false;

  const end = (status: TerminalStatus, code: number, why: string) => {
    if (ending) return;
    ending = true;
    o.logger?.error(`memeops: ${why}; ${tracker.setsStatus === false ? "flushing the MLflow run (its owner sets its status)" : `marking the MLflow run ${status}`}`);
    void tracker
      .finish(status, { timeoutMs })
      .catch(() => false)
      .finally(() => proc.exit(code));
  };

  const handlers: Record<string, (...args: unknown[]) => void> = {
    SIGTERM: () => end("KILLED", 143, "SIGTERM"),
    SIGINT: () => end("KILLED", 130, "SIGINT"),
    uncaughtException: (e) => end("FAILED", 1, `uncaught exception: ${(e as Error)?.stack ?? String(e)}`),
    unhandledRejection: (e) => end("FAILED", 1, `unhandled rejection: ${(e as Error)?.stack ?? String(e)}`),
    // The event loop ran dry without finish(): a failure if the exit code says so, else done.
    beforeExit: () => {
      if (tracker.finished || ending) return;
      const failed = proc.exitCode !== undefined && proc.exitCode !== null && Number(proc.exitCode) !== 0;
      ending = true;
      void tracker.finish(failed ? "FAILED" : "FINISHED", { timeoutMs }).catch(() => false);
    },
  };
  for (const [event, h] of Object.entries(handlers)) proc.on(event, h);
  return () => {
    for (const [event, h] of Object.entries(handlers)) proc.off(event, h);
  };
}
