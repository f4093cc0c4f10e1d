// Structured JSON logs: one line per event, fields instead of prose, never a secret (callers pass names, not values).
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(o: { debug?: boolean; write?: (line: string) => void; base?: Record<string, unknown> } = {}): Logger {
  const write = o.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const line = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    write(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...o.base, ...fields }));
  return { info: line("info"), warn: line("warn"), error: line("error"), debug: o.debug ? line("debug") : () => {} };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };
