// Structured JSON logs for the operator and the trainer, one module for both: one object per line (time, level, msg,
// then fields), fields instead of prose, never a secret (callers pass names, not values). The JSON-line format is part
// of the operator-trainer contract: log collectors parse both processes' lines the same way.
export type Fields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  debug(msg: string, fields?: Fields): void;
}

export interface JsonLogger extends Logger {
  /** the same log with more fields on every line */
  with(fields: Fields): JsonLogger;
}

/** Where lines go: a stream (process.stdout) or anything with a write(text) method. */
export interface LineSink {
  write(s: string): unknown;
}

export interface JsonLoggerOptions {
  /** info and debug lines (default: process.stderr, as the operator logs) */
  out?: LineSink;
  /** warn and error lines (default: `out`); the trainer splits them, so `kubectl logs` readers see problems apart */
  err?: LineSink;
  /** every line, without its newline, to one function instead (tests, log files) */
  write?: (line: string) => void;
  /** debug lines are dropped unless this is true */
  debug?: boolean;
  /** fields on every line */
  base?: Fields;
  now?: () => Date;
}

// JSON has no NaN: a number that is not finite is written as its name ("NaN"), not as null or dropped.
const replacer = (_: string, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v);

export function jsonLogger(o: JsonLoggerOptions = {}): JsonLogger {
  const out = o.write ? { write: (s: string) => o.write!(s.slice(0, -1)) } : (o.out ?? process.stderr);
  const err = o.write ? out : (o.err ?? out);
  const now = o.now ?? (() => new Date());
  const line = (sink: LineSink, level: string) => (msg: string, fields?: Fields) =>
    void sink.write(`${JSON.stringify({ time: now().toISOString(), level, msg, ...o.base, ...fields }, replacer)}\n`);
  return {
    info: line(out, "info"),
    warn: line(err, "warn"),
    error: line(err, "error"),
    debug: o.debug ? line(out, "debug") : () => {},
    with: (fields) => jsonLogger({ ...o, base: { ...o.base, ...fields } }),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };
