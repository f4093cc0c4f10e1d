// The trainer's log inside a Job: one JSON object per line (time, level, msg, and fields), info on stdout, warnings
// and errors on stderr, so a log collector can parse it and `kubectl logs` still reads.
import type { Logger } from "../../../tracking/index.ts";

export type Fields = Record<string, unknown>;

export interface JsonLog {
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** the same log with more fields on every line */
  with(fields: Fields): JsonLog;
}

export interface LineSink {
  write(s: string): unknown;
}

// JSON has no NaN: a metric that is not a number is written as its name ("NaN"), not as null or dropped.
const replacer = (_: string, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v);

export function jsonLog(out: LineSink, err: LineSink, base: Fields = {}, now: () => Date = () => new Date()): JsonLog {
  const line = (sink: LineSink, level: string, msg: string, fields?: Fields) =>
    sink.write(`${JSON.stringify({ time: now().toISOString(), level, msg, ...base, ...fields }, replacer)}\n`);
  return {
    info: (msg, fields) => line(out, "info", msg, fields),
    warn: (msg, fields) => line(err, "warn", msg, fields),
    error: (msg, fields) => line(err, "error", msg, fields),
    with: (fields) => jsonLog(out, err, { ...base, ...fields }, now),
  };
}

/** The tracking code's Logger shape on top of a JsonLog. */
export function trackingLogger(log: JsonLog): Logger {
  const l = log.with({ component: "mlflow" });
  return { info: (m) => l.info(m), warn: (m) => l.warn(m), error: (m) => l.error(m) };
}
