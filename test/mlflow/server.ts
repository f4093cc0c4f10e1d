// Installing and running a real MLflow server on loopback: used by the vitest globalSetup and the bench.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../free-port.ts";

const HERE = new URL(".", import.meta.url).pathname;
const START_TIMEOUT_MS = 240_000;

/** Runs install.sh (idempotent, cached outside the clone); returns the venv path. */
export async function installMlflow(): Promise<string> {
  const { stdout } = await promisify(execFile)("bash", [join(HERE, "install.sh")], { maxBuffer: 1 << 20, timeout: 840_000 });
  return stdout.trim().split("\n").at(-1)!;
}

export interface Started {
  uri: string;
  proc: ChildProcess;
}

export async function startServer(venv: string, dir: string, env: Record<string, string>, extra: string[] = []): Promise<Started> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const logFile = join(dir, "server.log");
  const log = await open(logFile, "w");
  const proc = spawn(
    join(venv, "bin", "mlflow"),
    [
      "server",
      "--host", "127.0.0.1",
      "--port", String(port),
      "--workers", "1",
      "--backend-store-uri", `sqlite:///${join(dir, "mlflow.db")}`,
      "--serve-artifacts",
      "--artifacts-destination", join(dir, "artifacts"),
      ...extra,
    ],
    {
      cwd: dir,
      // Own process group, so teardown stops uvicorn's workers too.
      detached: true,
      stdio: ["ignore", log.fd, log.fd],
      env: {
        ...process.env,
        MLFLOW_FLASK_SERVER_SECRET_KEY: "memeops-test-only",
        // No network here: keep MLflow from phoning home.
        MLFLOW_DISABLE_TELEMETRY: "true",
        // MLflow 3.x otherwise forks a dozen job-queue consumers (GenAI jobs): a heavy load on 2 cores.
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION: "false",
        DO_NOT_TRACK: "true",
        ...env,
      },
    },
  );
  await log.close();
  const uri = `http://127.0.0.1:${port}`;
  const exited = once(proc, "exit").then(([code]) => code as number | null);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const state = await Promise.race([exited.then((code) => ({ code })), healthy(uri)]);
    if (state === true) return { uri, proc };
    if (typeof state === "object" || Date.now() > deadline) {
      const tail = (await readFile(logFile, "utf8").catch(() => "")).split("\n").slice(-30).join("\n");
      if (typeof state !== "object") await stopServer(proc);
      throw new Error(`mlflow server on ${uri} did not come up (${typeof state === "object" ? `exit ${state.code}` : "timeout"}):\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function healthy(uri: string): Promise<boolean> {
  try {
    const r = await fetch(`${uri}/health`, { signal: AbortSignal.timeout(2000) });
    await r.text();
    return r.ok;
  } catch {
    return false;
  }
}

export async function stopServer(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  const gone = once(proc, "exit");
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-proc.pid!, sig);
    } catch {
      /* already gone */
    }
  };
  kill("SIGTERM");
  const t = setTimeout(() => kill("SIGKILL"), 10_000);
  await gone;
  clearTimeout(t);
}
