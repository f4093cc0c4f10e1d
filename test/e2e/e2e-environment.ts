// The set-up every e2e test file shares: the CRDs, a namespace whose pods land on the runner node, the operator in
// this process (its report endpoint on a loopback port chosen first, since the URL is part of every Job) and the pod
// runner that runs their containers as local processes. Afterwards: experiments finalized while the operator runs,
// then runner, operator and namespace stop; the pods' folders are kept only when a test failed (logs always).
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { Manager } from "../../operator/manager.ts";
import { deleteNamespace, kubeconfig } from "../cluster/kubectl.ts";
import { installCrd } from "../operator/crd.ts";
import { deleteExperiments, startTestOperator } from "../operator/operator-harness.ts";
import { PodRunner } from "./pod-runner.ts";
import { runnerNamespace } from "./runner-namespace.ts";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Read `ns`, `op` and `runner` inside tests and hooks: they are set once the file's beforeAll has run. */
export function e2eEnvironment(prefix: string): { ns: string; op: Manager; runner: PodRunner } {
  const env = { ns: "", op: undefined as unknown as Manager, runner: undefined as unknown as PodRunner };
  let failed = false;
  beforeAll(async () => {
    installCrd();
    env.ns = runnerNamespace(prefix);
    const port = await freePort();
    env.op = await startTestOperator([env.ns], { reportPort: port, reportUrl: `http://127.0.0.1:${port}` });
    env.runner = new PodRunner({ kubeconfig: kubeconfig(), namespace: env.ns }).start();
  });
  afterEach((ctx) => {
    failed ||= ctx.task.result?.state === "fail";
  });
  afterAll(async () => {
    // The operator releases its finalizers before it stops, so the namespace can go.
    if (env.ns && env.op) await deleteExperiments(env.ns);
    await env.runner?.stop();
    await env.op?.stop();
    if (env.ns) deleteNamespace(env.ns);
    // The pods' folders (data, features, checkpoints: ~70 MB a run) are kept only when a test failed; logs always.
    if (env.runner && !failed) for (const r of env.runner.runs.values()) rmSync(r.dir, { recursive: true, force: true });
  });
  return env;
}
