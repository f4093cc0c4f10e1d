// The container runtime of kwok-runner-node-0 for the end-to-end tests. kwok plays that node's kubelet (it marks
// bound pods Running and ends them when told); this runner really runs each Running pod's container, as a local
// process: the same command (the image's `memeops` is this checkout's cli/bin/memeops.mjs), the same environment,
// volumes as folders under ROOT/<pod>/, the projected service-account token made real with `kubectl create token`
// bound to the pod. Its output goes to ROOT/<pod>.log. When it exits, the runner tells kwok how it ended with the
// pod annotations memeops.io/test-exit-code and memeops.io/test-termination-message and the label
// memeops.io/test-outcome (see test/cluster/kwok-stages.yaml), so the pod's status carries the real exit code and
// termination message. A pod deleted while its process runs gets SIGTERM, then SIGKILL after its grace period.
//
// Manual use, against the running test cluster:
//   npx tsx test/e2e/pod-runner.ts --namespace NS [--node kwok-runner-node-0] [--root DIR]
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { kubectlAsync, kubectlAsyncJson } from "./kubectl-async.ts";
import { planLocalContainer, type LocalContainer, type Lookups, type Pod } from "./local-container.ts";

export const RUNNER_NODE = "kwok-runner-node-0";
export const OUTCOME_LABEL = "memeops.io/test-outcome";
export const EXIT_CODE_ANNOTATION = "memeops.io/test-exit-code";
export const MESSAGE_ANNOTATION = "memeops.io/test-termination-message";
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
// The kubelet's limits: a termination message is cut to 4096 bytes; the log fallback is the last 80 lines, 2048 bytes.
const MESSAGE_BYTES = 4096;
const FALLBACK_LINES = 80;
const FALLBACK_BYTES = 2048;
/** exit code reported when the runner could not start the container at all (as runc's "failed to start") */
export const START_FAILURE_EXIT_CODE = 128;

export interface PodRunnerOptions {
  kubeconfig: string;
  namespace: string;
  node?: string;
  /** folders and logs of the pods; default .memeops/e2e/NAMESPACE */
  root?: string;
  pollMs?: number;
  /** the runner's own diagnostics (default: stderr) */
  log?: (line: string) => void;
}

/** One container run, for the tests to inspect. */
export interface Run {
  pod: string;
  uid: string;
  /** the pod's folders: volumes/, cwd/, termination-log */
  dir: string;
  logFile: string;
  plan?: LocalContainer;
  exitCode?: number;
  terminationMessage?: string;
  /** deleted while running: killed, nothing reported (kwok ends deleted pods itself) */
  killed?: boolean;
}

/** The message the kubelet would record: the file's content, or with FallbackToLogsOnError the log's tail on failure. */
export function terminationMessageOf(plan: Pick<LocalContainer, "terminationMessagePath" | "terminationMessagePolicy">, exitCode: number, logFile: string): string {
  const file = readHead(plan.terminationMessagePath, MESSAGE_BYTES);
  if (file || exitCode === 0 || plan.terminationMessagePolicy !== "FallbackToLogsOnError") return file;
  const tail = readHead(logFile, Number.MAX_SAFE_INTEGER).split("\n").slice(-FALLBACK_LINES - 1).join("\n");
  return Buffer.from(tail).subarray(-FALLBACK_BYTES).toString("utf8").trim();
}

function readHead(file: string, bytes: number): string {
  try {
    return readFileSync(file).subarray(0, bytes).toString("utf8");
  } catch {
    return "";
  }
}

// A process ended by a signal exits 128 + its number, as a container runtime reports it.
const exitCodeOf = (code: number | null, signal: NodeJS.Signals | null) => code ?? (signal ? 128 + constants.signals[signal] : 1);

export class PodRunner {
  readonly runs = new Map<string, Run>();
  /** problems of the runner itself (a pod it could not patch, a failed poll); a test asserts there are none */
  readonly errors: string[] = [];
  private readonly processes = new Map<string, ChildProcess>();
  private readonly root: string;
  private readonly node: string;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private polling: Promise<void> = Promise.resolve();

  constructor(private readonly o: PodRunnerOptions) {
    this.root = o.root ?? join(REPO, ".memeops", "e2e", o.namespace);
    this.node = o.node ?? RUNNER_NODE;
  }

  start(): this {
    const loop = () => {
      this.polling = this.poll().finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.o.pollMs ?? 500);
      });
    };
    loop();
    return this;
  }

  /** Stops watching and kills what still runs (SIGKILL: the test is over). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
    const exits = [...this.processes.values()].map((p) => new Promise((r) => p.once("exit", r)));
    for (const [uid, p] of this.processes) {
      this.runs.get(uid)!.killed = true;
      kill(p, "SIGKILL");
    }
    await Promise.all(exits);
  }

  private log(line: string): void {
    (this.o.log ?? ((l: string) => process.stderr.write(`[pod-runner] ${l}\n`)))(line);
  }

  private kubectl = (args: string[]) => kubectlAsync(this.o.kubeconfig, args);

  private async poll(): Promise<void> {
    let pods: Pod[];
    try {
      pods = (await kubectlAsyncJson<{ items: Pod[] }>(this.o.kubeconfig, ["get", "pods", "-n", this.o.namespace, `--field-selector=spec.nodeName=${this.node}`])).items;
    } catch (err) {
      this.errors.push(String(err));
      return;
    }
    const live = new Map(pods.map((p) => [p.metadata.uid as string, p]));
    for (const pod of pods) {
      const uid: string = pod.metadata.uid;
      if (this.runs.has(uid) || pod.metadata.deletionTimestamp || pod.status?.phase !== "Running" || pod.metadata.labels?.[OUTCOME_LABEL]) continue;
      const run: Run = { pod: pod.metadata.name, uid, dir: join(this.root, pod.metadata.name), logFile: join(this.root, `${pod.metadata.name}.log`) };
      this.runs.set(uid, run);
      void this.run(pod, run);
    }
    for (const [uid, child] of this.processes) {
      const pod = live.get(uid);
      if (pod && !pod.metadata.deletionTimestamp) continue;
      const run = this.runs.get(uid)!;
      if (run.killed) continue;
      run.killed = true;
      const graceMs = 1000 * Math.min(pod?.spec?.terminationGracePeriodSeconds ?? 30, 30);
      this.log(`${run.pod} deleted: SIGTERM, SIGKILL in ${graceMs / 1000}s`);
      kill(child, "SIGTERM");
      setTimeout(() => this.processes.has(uid) && kill(child, "SIGKILL"), graceMs).unref();
    }
  }

  private async run(pod: Pod, run: Run): Promise<void> {
    let exitCode: number;
    try {
      const plan = await planLocalContainer(pod, this.layout(run), this.lookups());
      run.plan = plan;
      for (const d of plan.dirs) mkdirSync(d, { recursive: true });
      writeFileSync(plan.terminationMessagePath, "");
      for (const f of plan.files) {
        mkdirSync(dirname(f.file), { recursive: true });
        writeFileSync(f.file, f.content, { mode: 0o600 });
      }
      for (const t of plan.tokens) await this.writeToken(pod, t);
      if (this.stopped) return; // stop() no longer waits for a process started now
      exitCode = await this.exec(pod, plan, run.logFile);
    } catch (err) {
      // Not the container's failure: the runner's. It still ends the pod (with a telling message) so the test fails
      // on it instead of waiting out its timeout.
      const message = `pod-runner could not start the container: ${err instanceof Error ? err.message : String(err)}`;
      this.log(message);
      run.exitCode = START_FAILURE_EXIT_CODE;
      run.terminationMessage = message;
      await this.report(pod, run);
      return;
    }
    run.exitCode = exitCode;
    if (run.killed) return;
    run.terminationMessage = terminationMessageOf(run.plan!, exitCode, run.logFile);
    await this.report(pod, run);
  }

  private layout(run: Run) {
    return {
      podDir: run.dir,
      claimsDir: join(this.root, "claims"),
      executables: { memeops: [process.execPath, join(REPO, "cli", "bin", "memeops.mjs")] },
      // What the image's environment provides; nothing else of this process (no KUBECONFIG, no credentials) leaks in.
      baseEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...(process.env.LANG && { LANG: process.env.LANG }) },
    };
  }

  private lookups(): Lookups {
    const data = async (kind: string, ns: string, name: string) => {
      try {
        return (await kubectlAsyncJson<{ data?: Record<string, string> }>(this.o.kubeconfig, ["get", kind, name, "-n", ns])).data ?? {};
      } catch (err) {
        if (/NotFound/.test(String(err))) return undefined;
        throw err;
      }
    };
    return {
      secret: async (ns, name) => {
        const d = await data("secret", ns, name);
        return d && Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
      },
      configMap: (ns, name) => data("configmap", ns, name),
    };
  }

  /** The projected token, as the kubelet requests it: for the pod's service account, bound to the pod. */
  private async writeToken(pod: Pod, t: LocalContainer["tokens"][number]): Promise<void> {
    const token = await this.kubectl([
      "create", "token", pod.spec.serviceAccountName ?? "default", "-n", pod.metadata.namespace,
      ...(t.audience ? ["--audience", t.audience] : []),
      `--duration=${t.expirationSeconds}s`,
      "--bound-object-kind=Pod", `--bound-object-name=${pod.metadata.name}`, `--bound-object-uid=${pod.metadata.uid}`,
    ]);
    mkdirSync(dirname(t.file), { recursive: true });
    writeFileSync(t.file, token.trim(), { mode: 0o600 });
  }

  private exec(pod: Pod, plan: LocalContainer, logFile: string): Promise<number> {
    mkdirSync(dirname(logFile), { recursive: true });
    const out = openSync(logFile, "a");
    this.log(`${pod.metadata.name}: ${plan.argv.slice(1).join(" ")} (log ${logFile})`);
    // Its own process group, so the kill on deletion reaches whatever it starts.
    const child = spawn(plan.argv[0]!, plan.argv.slice(1), { cwd: plan.cwd, env: plan.env, stdio: ["ignore", out, out], detached: true });
    closeSync(out);
    this.processes.set(pod.metadata.uid, child);
    return new Promise((resolveExit, reject) => {
      child.once("error", (err) => (this.processes.delete(pod.metadata.uid), reject(err)));
      child.once("exit", (code, signal) => {
        this.processes.delete(pod.metadata.uid);
        const exitCode = exitCodeOf(code, signal);
        this.log(`${pod.metadata.name}: exit ${exitCode}${signal ? ` (${signal})` : ""}`);
        resolveExit(exitCode);
      });
    });
  }

  /** One merge patch, so kwok never sees the outcome label without the exit code and message. */
  private async report(pod: Pod, run: Run): Promise<void> {
    const patch = {
      metadata: {
        labels: { [OUTCOME_LABEL]: run.exitCode === 0 ? "succeeded" : "failed" },
        annotations: { [EXIT_CODE_ANNOTATION]: String(run.exitCode), [MESSAGE_ANNOTATION]: run.terminationMessage ?? "" },
      },
    };
    try {
      await this.kubectl(["patch", "pod", pod.metadata.name, "-n", pod.metadata.namespace, "--type=merge", "-p", JSON.stringify(patch)]);
    } catch (err) {
      if (!/NotFound/.test(String(err))) this.errors.push(`reporting ${pod.metadata.name}: ${String(err)}`);
    }
  }
}

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { namespace: { type: "string" }, node: { type: "string" }, root: { type: "string" }, kubeconfig: { type: "string" } } });
  if (!values.namespace) throw new Error("usage: npx tsx test/e2e/pod-runner.ts --namespace NS [--node NODE] [--root DIR] [--kubeconfig FILE]");
  const kubeconfig = values.kubeconfig ?? process.env.KUBECONFIG ?? join(REPO, ".memeops", "cluster", "kubeconfig");
  const runner = new PodRunner({ kubeconfig, namespace: values.namespace, node: values.node, root: values.root }).start();
  const stop = () => void runner.stop().then(() => process.exit(0));
  process.once("SIGINT", stop).once("SIGTERM", stop);
}
