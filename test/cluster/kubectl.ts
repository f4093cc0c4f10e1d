// Small helpers for tests that talk to the test control plane with the real kubectl.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { inject } from "vitest";

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The kubeconfig the cluster global setup provided (falls back to $KUBECONFIG outside vitest). */
export function kubeconfig(): string {
  let path: string | undefined;
  try {
    path = inject("kubeconfig");
  } catch {
    // not inside a vitest worker
  }
  path ??= process.env.KUBECONFIG;
  if (!path) throw new Error("no kubeconfig: run through the vitest 'cluster' project or set KUBECONFIG");
  return path;
}

export function kubectl(args: string[], opts: { input?: string } = {}): KubectlResult {
  const r = spawnSync("/usr/bin/kubectl", [`--kubeconfig=${kubeconfig()}`, ...args], {
    input: opts.input,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** kubectl that must succeed: returns stdout, throws with stderr otherwise. */
export function kubectlOk(args: string[], opts: { input?: string } = {}): string {
  const r = kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export function kubectlJson<T = any>(args: string[]): T {
  return JSON.parse(kubectlOk([...args, "-o", "json"])) as T;
}

/** Poll until fn returns (or resolves to) something other than undefined/false/null; the last error is reported. */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  { timeoutMs = 60_000, intervalMs = 250 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A fresh namespace for one test file; delete it with deleteNamespace in afterAll. */
export function createNamespace(prefix: string): string {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  kubectlOk(["create", "namespace", name]);
  // Pods are refused until the service-account controller has made "default": wait for it here
  // so no test races it.
  kubectlOk(["wait", "--for=create", "serviceaccount/default", "-n", name, "--timeout=60s"]);
  return name;
}

export function deleteNamespace(name: string): void {
  // --wait=false: the namespace controller finishes in the background; tests need not wait.
  kubectl(["delete", "namespace", name, "--wait=false", "--ignore-not-found"]);
}
