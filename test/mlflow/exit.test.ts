// Real child processes end badly; their run must not stay RUNNING.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { describe, expect, inject, it } from "vitest";
import { fastClient, uniq } from "./helpers.ts";

const uri = inject("mlflowUri");
const script = new URL("./fixtures/trainer-sim.ts", import.meta.url).pathname;
const tsx = createRequire(import.meta.url).resolve("tsx");

async function runSim(mode: string, signal?: NodeJS.Signals): Promise<{ code: number | null; runId: string; out: string }> {
  const child = spawn(process.execPath, ["--import", tsx, script, uri, uniq("exit"), uniq("uid"), mode], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = once(child, "exit");
  for (let i = 0; i < 600 && !/READY (\w+)/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
  const runId = /READY (\w+)/.exec(out)?.[1];
  if (!runId) throw new Error(`simulated trainer never got ready:\n${out}`);
  if (signal) child.kill(signal);
  const [code] = (await exited) as [number | null];
  return { code, runId, out };
}

describe("exit handlers mark the run when the trainer dies", () => {
  const client = fastClient(uri);
  const statusOf = async (runId: string) => (await client.getRun(runId)).info;

  it("SIGTERM (Job deleted, pod evicted) -> KILLED, exit 143", async () => {
    const r = await runSim("hang", "SIGTERM");
    expect(r.code).toBe(143);
    const info = await statusOf(r.runId);
    expect(info.status).toBe("KILLED");
    expect(info.endTime).toBeGreaterThan(0);
  });

  it("uncaught exception -> FAILED, exit 1", async () => {
    const r = await runSim("crash");
    expect(r.code).toBe(1);
    expect(r.out).toContain("boom in the training loop");
    expect((await statusOf(r.runId)).status).toBe("FAILED");
  });

  it("unhandled rejection -> FAILED, exit 1", async () => {
    const r = await runSim("reject");
    expect(r.code).toBe(1);
    expect((await statusOf(r.runId)).status).toBe("FAILED");
  });

  it("returning without finish() -> FINISHED with the last points flushed", async () => {
    const r = await runSim("forgot-finish");
    expect(r.code).toBe(0);
    expect((await statusOf(r.runId)).status).toBe("FINISHED");
    expect((await client.getMetricHistory(r.runId, "train_loss")).map((m) => m.step)).toEqual([0, 1]);
  });
});
