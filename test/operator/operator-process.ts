// `memeops operator` as a real child process (the CLI bin, as the chart's Deployment runs it): for the chaos and
// leader-election tests, which kill it with real signals, and for the benchmarks, which measure its memory alone.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const MEMEOPS_BIN = join(root, "cli", "bin", "memeops.mjs");

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface OperatorProcessOptions {
  kubeconfig: string;
  namespaces: string[];
  /** extra CLI flags, e.g. ["--leader-elect", "--leader-election-namespace", ns] */
  args?: string[];
  env?: Record<string, string>;
  /** where its stdout and stderr go (one file per process); default a new file under the temp dir */
  logFile?: string;
}

let started = 0;

/**
 * One run of the operator; ports are chosen by the OS (port 0) and read from its "operator started" log line.
 * Its output goes straight to a file, never through a pipe to this process: a pipe fills while the test blocks in
 * spawnSync (kubectl), and the operator, whose stderr writes are synchronous, would then stall.
 */
export class OperatorProcess {
  readonly logFile: string;
  ports: { metrics?: number; health?: number; report?: number } = {};
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly parsed: LogLine[] = [];
  /** lines that were not JSON (a crash's stack trace, tsx errors) */
  private readonly other: string[] = [];
  private readonly child: ChildProcess;
  private readonly fd: number;
  private offset = 0;
  private partial = "";

  private constructor(o: OperatorProcessOptions) {
    this.logFile = o.logFile ?? join(tmpdir(), `memeops-operator-${process.pid}-${++started}.log`);
    const out = openSync(this.logFile, "a");
    this.child = spawn(
      process.execPath,
      [
        MEMEOPS_BIN,
        "operator",
        "--kubeconfig",
        o.kubeconfig,
        "--namespaces",
        o.namespaces.join(","),
        "--metrics-port",
        "0",
        "--health-port",
        "0",
        "--report-port",
        "0",
        "--trainer-image",
        "memeops/trainer:test",
        ...(o.args ?? []),
      ],
      { env: { ...process.env, ...o.env }, stdio: ["ignore", out, out] },
    );
    closeSync(out);
    this.fd = openSync(this.logFile, "r");
    this.exited = new Promise((resolve) => this.child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Its JSON log lines so far. */
  get lines(): readonly LogLine[] {
    this.read();
    return this.parsed;
  }

  get otherOutput(): readonly string[] {
    this.read();
    return this.other;
  }

  /** Start and wait for "operator started" (ports known); fails with the output if it exits first. */
  static async start(o: OperatorProcessOptions, timeoutMs = 60_000): Promise<OperatorProcess> {
    const p = new OperatorProcess(o);
    let exited = false;
    void p.exited.then(() => (exited = true));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = p.lines.find((l) => l.msg === "operator started");
      if (line) {
        p.ports = (line.ports ?? {}) as OperatorProcess["ports"];
        return p;
      }
      if (exited) throw new Error(`operator exited before it started (${JSON.stringify(await p.exited)}): ${p.otherOutput.slice(-20).join("\n")}`);
      if (Date.now() > deadline) throw new Error(`operator did not start within ${timeoutMs} ms; log ${p.logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The first log line (already written or coming) that matches. */
  async waitForLog(match: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find(match);
      if (line) return line;
      if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms (log ${this.logFile})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  async metrics(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.ports.metrics}/metrics`);
    if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
    return res.text();
  }

  /** Parse what the process appended to its log since the last read. */
  private read(): void {
    const buf = Buffer.alloc(1 << 20);
    for (;;) {
      const n = readSync(this.fd, buf, 0, buf.length, this.offset);
      if (n <= 0) break;
      this.offset += n;
      const text = this.partial + buf.subarray(0, n).toString("utf8");
      const lines = text.split("\n");
      this.partial = lines.pop() ?? "";
      for (const l of lines) this.line(l);
    }
  }

  private line(text: string): void {
    if (!text.trim()) return;
    try {
      this.parsed.push(JSON.parse(text) as LogLine);
    } catch {
      this.other.push(text);
    }
  }
}

/** The value of one sample in Prometheus text, e.g. sample(text, "controller_runtime_reconcile_total", {result: "success"}). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total = (total ?? 0) + Number(m[4]);
  }
  return total;
}
