// How `memeops trainer` ends when something escapes its stages: the real CLI as a child process, the crash injected
// from outside (fixtures/crash-in-stage.mjs, preloaded) or SIGTERM sent by this process, as the kubelet would. Each
// ending must leave a termination message that names the stage and the reason, carries no secret, and the exit code
// the help text documents.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { endingText, installEndingGuard, withoutSecrets } from "../../../trainer-image/src/stages/termination.ts";
import type { ProcessLike } from "../../../tracking/exit-handlers.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-ending-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SECRET = "mlflow-secret-token-1234";
const REPORT_TOKEN = "projected-report-token-5678";
writeFileSync(join(tmp, "token"), `${REPORT_TOKEN}\n`);

const experiment = (name: string) => ({
  metadata: { name, namespace: "team-a", uid: "u1" },
  spec: {
    mode: "train",
    dataset: { source: { synthetic: { count: 64, seed: 3, imageSize: 32 } } },
    features: { extractor: "pixels", regions: 4 },
    model: { name: "vilbert_hf", size: "tiny" },
    training: { epochs: 1, batchSize: 32, maxSequenceLength: 16 },
    resources: { gpus: 0 },
  },
});

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  termination: string | undefined;
}

/** `memeops trainer prepare` in a child; `crash` is preloaded, or SIGTERM is sent once the work dir exists. */
function trainer(name: string, how: { crash: "exception" | "rejection" } | { sigterm: true }): Promise<Ended> {
  const dataDir = join(tmp, name);
  const workDir = join(dataDir, "runs", `${name}-u1`);
  const termination = join(tmp, `${name}.termination-log`);
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(MEMEOPS_|MLFLOW_)/.test(k)));
  const env = {
    ...base, HOME: tmp, MEMEOPS_EXPERIMENT: JSON.stringify(experiment(name)), MEMEOPS_DATA_DIR: dataDir,
    MEMEOPS_TERMINATION_MESSAGE_PATH: termination, MEMEOPS_REPORT_TOKEN_FILE: join(tmp, "token"), MLFLOW_TRACKING_TOKEN: SECRET,
    ...("crash" in how && { CRASH_KIND: how.crash, CRASH_WHEN_EXISTS: workDir }),
  };
  const preload = "crash" in how ? ["--import", "./test/unit/stages/fixtures/crash-in-stage.mjs"] : [];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...preload, "cli/bin/memeops.mjs", "trainer", "prepare"], { env });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.stdout.resume();
    const poll = "sigterm" in how ? setInterval(() => existsSync(workDir) && (clearInterval(poll), child.kill("SIGTERM")), 5) : undefined;
    child.on("close", (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stderr, termination: existsSync(termination) ? readFileSync(termination, "utf8") : undefined });
    });
  });
}

const errorLines = (stderr: string) => stderr.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.level === "error");

describe("memeops trainer: every way out leaves a termination message", () => {
  it("an uncaught exception in a stage: exit 1, the stage and the reason named, no secret", async () => {
    const r = await trainer("uncaught", { crash: "exception" });
    expect([r.code, r.signal]).toEqual([1, null]);
    expect(r.termination).toBe("stage prepare failed: uncaught exception: Error: injected exception (token [REDACTED], url https://[REDACTED]@mlflow.example)");
    const [line] = errorLines(r.stderr);
    expect(line).toMatchObject({ msg: r.termination, stage: "prepare", reason: "UncaughtException", time: expect.any(String) });
    expect(r.stderr).not.toContain(SECRET);
    expect(r.stderr).not.toContain("pa55word");
  }, 120_000);

  it("an unhandled rejection in a stage: exit 1, the same account", async () => {
    const r = await trainer("rejected", { crash: "rejection" });
    expect([r.code, r.signal]).toEqual([1, null]);
    expect(r.termination).toMatch(/^stage prepare failed: unhandled rejection: Error: injected rejection \(token \[REDACTED\]/);
    expect(errorLines(r.stderr)[0]).toMatchObject({ stage: "prepare", reason: "UnhandledRejection" });
  }, 120_000);

  it("SIGTERM during a stage: exit 143, the stage named", async () => {
    const r = await trainer("sigterm", { sigterm: true });
    expect([r.code, r.signal]).toEqual([143, null]);
    expect(r.termination).toMatch(/^stage prepare stopped: SIGTERM \(the pod was deleted or evicted/);
  }, 120_000);
});

describe("the ending guard", () => {
  function fakeProcess() {
    const listeners = new Map<string, (...a: unknown[]) => void>();
    const exits: number[] = [];
    const proc: ProcessLike = { on: (e, l) => listeners.set(e, l), off: (e) => listeners.delete(e), exit: (c) => (exits.push(c!), undefined as never) };
    return { proc, listeners, exits };
  }
  const logged: string[] = [];
  const log = { error: (m: string) => void logged.push(m), warn: (m: string) => void logged.push(m) };

  it("keeps a result already written, leaves the exit to the MLflow handlers when they are there, and ends once", () => {
    const file = join(tmp, "guard.termination-log");
    writeFileSync(file, '{"kind":"result"}');
    const { proc, listeners, exits } = fakeProcess();
    let elsewhere = true;
    const remove = installEndingGuard({ env: { MEMEOPS_TERMINATION_MESSAGE_PATH: file }, log, stage: () => "evaluate", messageWritten: () => true, exitsElsewhere: () => elsewhere, proc });
    listeners.get("unhandledRejection")!(new Error("late"));
    expect([readFileSync(file, "utf8"), exits]).toEqual(['{"kind":"result"}', []]);
    elsewhere = false;
    listeners.get("SIGTERM")!("SIGTERM");
    expect(exits).toEqual([]); // the first ending wins
    expect(logged.at(-1)).toBe("stage evaluate failed: unhandled rejection: Error: late");
    remove();
    expect([...listeners.keys()]).toEqual([]);
  });

  it("exits with the ending's code when nothing else will", () => {
    const { proc, listeners, exits } = fakeProcess();
    installEndingGuard({ env: {}, log, stage: () => "train", messageWritten: () => false, exitsElsewhere: () => false, proc });
    listeners.get("SIGTERM")!("SIGTERM");
    expect(exits).toEqual([143]);
  });

  it("strips every secret the process holds", () => {
    const env = { MLFLOW_TRACKING_PASSWORD: "hunter22", MLFLOW_TRACKING_USERNAME: "me", HF_TOKEN: "hf_abcdef" };
    const text = withoutSecrets("GET https://me:hunter22@host/x with hf_abcdef; authorization: Bearer abc.def", env);
    expect(text).toBe("GET https://[REDACTED]@host/x with [REDACTED]; authorization: Bearer [REDACTED]");
    expect(endingText("StageFailed", "train", new Error("no prepared data"))).toBe("stage train failed: no prepared data");
  });
});
