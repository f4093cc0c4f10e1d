// The trainer's last words: whatever ends `memeops trainer` early (a stage's error, an uncaught exception, an
// unhandled rejection, SIGTERM, a usage error) leaves a termination message that says why and in which stage, so the
// operator's status shows that instead of the kubelet's log tail (terminationMessagePolicy FallbackToLogsOnError).
// The text is stripped of secrets (MLflow credentials, HF_TOKEN, the report token, passwords in URLs) before it is
// logged or written. A result or failure already written stays the termination message: a later ending is only logged.
import { readFileSync, writeFileSync } from "node:fs";
import { credentialsFromEnv, redact } from "../../../tracking/index.ts";
import { TERMINATION_MESSAGE_LIMIT } from "../../../api/contract/reports.ts";
import type { Logger } from "../../../api/contract/log.ts";
import type { ProcessLike } from "../../../tracking/exit-handlers.ts";

type Env = Record<string, string | undefined>;

/** Why the trainer ends; the exit code each one gives is in EXIT_CODE. */
export type Ending = "StageFailed" | "UncaughtException" | "UnhandledRejection" | "SIGTERM";

/** 1 as any failed stage (README, `memeops trainer --help`); 143 = 128 + SIGTERM, what the kubelet reports anyway. */
export const EXIT_CODE: Record<Ending, number> = { StageFailed: 1, UncaughtException: 1, UnhandledRejection: 1, SIGTERM: 143 };

const describe = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** The one-line account of an ending, e.g. "stage train failed: unhandled rejection: Error: ...". */
export function endingText(ending: Ending, stage: string, error?: unknown): string {
  switch (ending) {
    case "StageFailed":
      return `stage ${stage} failed: ${error instanceof Error ? error.message : String(error)}`;
    case "UncaughtException":
      return `stage ${stage} failed: uncaught exception: ${describe(error)}`;
    case "UnhandledRejection":
      return `stage ${stage} failed: unhandled rejection: ${describe(error)}`;
    case "SIGTERM":
      return `stage ${stage} stopped: SIGTERM (the pod was deleted or evicted, or the Job ran past runtime.activeDeadlineSeconds)`;
  }
}

/** The text without any secret this process holds. */
export function withoutSecrets(text: string, env: Env): string {
  let out = redact(text, credentialsFromEnv(env)).replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]*:[^/\s@]*@/gi, "$1[REDACTED]@");
  for (const s of [env.HF_TOKEN?.trim(), reportToken(env)]) if (s && s.length >= 4) out = out.split(s).join("[REDACTED]");
  return out;
}

function reportToken(env: Env): string | undefined {
  try {
    return env.MEMEOPS_REPORT_TOKEN_FILE ? readFileSync(env.MEMEOPS_REPORT_TOKEN_FILE, "utf8").trim() : undefined;
  } catch {
    return undefined;
  }
}

/** Writes MEMEOPS_TERMINATION_MESSAGE_PATH (when set) synchronously: it must land before a crashing process exits. */
export function writeTerminationMessage(env: Env, text: string, log: Pick<Logger, "warn">): void {
  const path = env.MEMEOPS_TERMINATION_MESSAGE_PATH;
  if (!path) return;
  try {
    writeFileSync(path, Buffer.from(withoutSecrets(text, env)).subarray(0, TERMINATION_MESSAGE_LIMIT - 1));
  } catch (err) {
    log.warn(`termination message not written to ${path}: ${(err as Error).message}`);
  }
}

/** Logs an ending and, unless a message is already there, makes it the termination message. Returns its exit code. */
export function recordEnding(
  ending: Ending, o: { stage: string; error?: unknown; env: Env; log: Pick<Logger, "error" | "warn">; messageWritten: boolean },
): number {
  const text = withoutSecrets(endingText(ending, o.stage, o.error), o.env);
  const stack = o.error instanceof Error && o.error.stack ? withoutSecrets(o.error.stack, o.env) : undefined;
  o.log.error(text, { stage: o.stage, reason: ending, ...(stack && { stack }) });
  if (!o.messageWritten) writeTerminationMessage(o.env, text, o.log);
  return EXIT_CODE[ending];
}

export interface GuardOptions {
  env: Env;
  log: Pick<Logger, "error" | "warn">;
  /** the stage running now */
  stage: () => string;
  /** a result or an earlier failure is already the termination message: the first account stays */
  messageWritten: () => boolean;
  /** true while another handler (the MLflow run's, tracking/exit-handlers.ts) exits after flushing, with the same code */
  exitsElsewhere: () => boolean;
  proc?: ProcessLike;
}

/** Records an uncaught exception, an unhandled rejection or SIGTERM, then exits. Returns the remover. */
export function installEndingGuard(o: GuardOptions): () => void {
  const proc = o.proc ?? (process as unknown as ProcessLike);
  let ended = false;
  const end = (ending: Ending) => (error?: unknown) => {
    if (ended) return;
    ended = true;
    const code = recordEnding(ending, { stage: o.stage(), error, env: o.env, log: o.log, messageWritten: o.messageWritten() });
    if (!o.exitsElsewhere()) proc.exit(code);
  };
  const handlers: Record<string, (e?: unknown) => void> = {
    uncaughtException: end("UncaughtException"),
    unhandledRejection: end("UnhandledRejection"),
    SIGTERM: end("SIGTERM"),
  };
  for (const [event, h] of Object.entries(handlers)) proc.on(event, h);
  return () => {
    for (const [event, h] of Object.entries(handlers)) proc.off(event, h);
  };
}
