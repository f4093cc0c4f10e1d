// One trial as a child `memeops run` process: its per-epoch metrics read from the JSON lines it writes when stdout is
// not a terminal (the `epoch` events of trainer-image's logTrainEvent, api/contract/log.ts's format), everything it
// writes kept in a log file, and a clean stop (SIGTERM: the run ends its MLflow run KILLED and exits 143).
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const MEMEOPS = fileURLToPath(new URL("../bin/memeops.mjs", import.meta.url));

/** An epoch's metrics as the JSON line carries them: a metric without a value is written as the string "NaN". */
export type EpochLine = { epoch: number } & Record<string, unknown>;

export interface TrialRun {
  /** the process id (absent when it could not be started) */
  pid?: number;
  /** resolves when the process has exited */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stopped: boolean; lastError: string }>;
  /** ask the process to end now (SIGTERM); `done` then reports stopped: true */
  stop(): void;
}

export interface TrialRunOptions {
  file: string;
  out: string;
  storage: string;
  trackingUri?: string;
  logFile: string;
  /** set in (a value) or removed from (undefined) the process's environment */
  env?: Record<string, string | undefined>;
  onEpoch(metrics: EpochLine): void;
}

export function startTrialRun(o: TrialRunOptions): TrialRun {
  const args = [MEMEOPS, "run", o.file, "--out", o.out, "--storage", o.storage, ...(o.trackingUri ? ["--tracking-uri", o.trackingUri] : [])];
  const env = { ...process.env, ...o.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env });
  const log = createWriteStream(o.logFile);
  let stopped = false;
  let lastError = "";
  child.stderr.pipe(log, { end: false });
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    const lines = text.trim().split("\n").filter((l) => l.trim());
    if (lines.length) lastError = lines.at(-1)!.slice(0, 200);
  });
  const lines = createInterface({ input: child.stdout });
  lines.on("line", (line) => {
    log.write(`${line}\n`);
    const metrics = epochMetricsOf(line);
    if (metrics) o.onEpoch(metrics);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  const done = exited.then(async (r) => {
    await new Promise<void>((resolve) => log.end(resolve));
    return { ...r, stopped, lastError };
  });
  return {
    ...(child.pid !== undefined && { pid: child.pid }),
    done,
    stop() {
      if (stopped || child.exitCode !== null) return;
      stopped = true;
      child.kill("SIGTERM");
    },
  };
}

/** The metrics of an `epoch` JSON line; anything else is not one. */
export function epochMetricsOf(line: string): EpochLine | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const o = JSON.parse(line) as { event?: unknown; metrics?: { epoch?: unknown } };
    return o.event === "epoch" && typeof o.metrics?.epoch === "number" ? (o.metrics as EpochLine) : undefined;
  } catch {
    return undefined;
  }
}
