// Shared set-up for the operator tests: the CRD, a namespace, an in-process operator against the test cluster.
import { appendFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { createNamespace, deleteNamespace, kubeconfig, kubectlJson, kubectlOk } from "../cluster/kubectl.ts";
import { installCrd } from "./crd.ts";
import { startManager, type Manager, type ManagerOptions } from "../../operator/manager.ts";
import { KubeClient } from "../../operator/kube/client.ts";
import { fromKubeconfig } from "../../operator/kube/kubeconfig.ts";
import { jsonLogger } from "../../api/contract/log.ts";
import { Reporter } from "../../trainer-image/src/stages/reporter.ts";

export type Obj = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A MemeExperiment whose pods end as `outcome` says (kwok), after `after` (e.g. "3s"). */
export function experiment(ns: string, name: string, o: { outcome?: string; after?: string; spec?: Record<string, unknown>; annotations?: Record<string, string> } = {}): string {
  const annotations: Record<string, string> = { ...o.annotations };
  if (o.outcome) annotations["memeops.io/pod-labels"] = `memeops.io/test-outcome=${o.outcome}`;
  if (o.after) annotations["memeops.io/pod-annotations"] = `memeops.io/test-outcome-after=${o.after}`;
  return JSON.stringify({
    apiVersion: "memeops.io/v1alpha1",
    kind: "MemeExperiment",
    metadata: { name, namespace: ns, annotations },
    spec: {
      dataset: { source: { synthetic: {} } },
      features: { extractor: "pixels", regions: 16 },
      model: { name: "vilbert_hf", size: "tiny" },
      resources: { gpus: 1, cpu: "1", memory: "1Gi" },
      ...o.spec,
    },
  });
}

/** The operator's own API client, for tests that poll or write many objects (cheaper than spawning kubectl). */
export async function apiClient(): Promise<KubeClient> {
  return new KubeClient(await fromKubeconfig(kubeconfig()));
}

/**
 * Delete a namespace's experiments and wait until their finalizer (memeops.io/cleanup) is done: call it while an
 * operator still watches the namespace, before stopping it, or the namespace stays Terminating for ever.
 */
export async function deleteExperiments(ns: string, timeoutMs = 90_000): Promise<void> {
  // Sweeps first: a live sweep would create its deleted trials again.
  kubectlOk(["delete", "memesweep", "--all", "-n", ns, "--wait=false"]);
  kubectlOk(["delete", "memex", "--all", "-n", ns, "--wait=false"]);
  const deadline = Date.now() + timeoutMs;
  while (kubectlOk(["get", "memex", "-n", ns, "-o", "name"]).trim()) {
    if (Date.now() > deadline) throw new Error(`the experiments of ${ns} were not finalized within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The file holding a token bound to `pod` with audience memeops, as its projected report token. */
export function podTokenFile(pod: Obj): string {
  const { name, namespace, uid } = pod.metadata;
  const token = kubectlOk(["create", "token", "default", "-n", namespace, "--audience", "memeops", "--bound-object-kind", "Pod", "--bound-object-name", name, "--bound-object-uid", uid]).trim();
  const tokenFile = join(tmpdir(), `memeops-report-token-${process.pid}-${uid}`);
  writeFileSync(tokenFile, token, { mode: 0o600 });
  return tokenFile;
}

/** A Reporter as the trainer in `pod` has one, posting to `url`. */
export const trainerReporter = (pod: Obj, url: string): Reporter => new Reporter({ url, tokenFile: podTokenFile(pod) });

export const apply = (manifest: string) => kubectlOk(["apply", "-f", "-"], { input: manifest });
export const getExperiment = (ns: string, name: string): Obj => kubectlJson(["get", "memex", name, "-n", ns]);
export const condition = (e: Obj, type: string): Obj => (e.status?.conditions ?? []).find((c: Obj) => c.type === type);
export const phaseIs = (ns: string, name: string, phase: string) => () => {
  const e = getExperiment(ns, name);
  return e.status?.phase === phase ? e : undefined;
};

export function startTestOperator(ns: string[], extra: Partial<ManagerOptions> = {}): Promise<Manager> {
  // The operator's JSON log goes to a file per test namespace, for a post-mortem of a failed test.
  const logFile = join(tmpdir(), `memeops-operator-${ns.join("_")}.log`);
  return startManager({
    kubeconfig: kubeconfig(),
    namespaces: ns,
    metricsPort: 0,
    healthPort: 0,
    reportPort: 0,
    bindAddress: "127.0.0.1",
    trainerImage: "memeops/trainer:test",
    resyncMs: 10_000,
    log: jsonLogger({ debug: true, write: (l) => appendFileSync(logFile, l + "\n") }),
    ...extra,
  });
}

/**
 * The set-up most operator test files share: the CRDs, a fresh namespace and an in-process operator watching it, made
 * before the file's tests; afterwards the experiments are finalized while the operator still runs, then it stops and
 * the namespace goes. Read `ns` and `op` inside tests and hooks (they are set once the file's beforeAll has run).
 */
export function operatorPerFile(prefix: string, extra: Partial<ManagerOptions> = {}): { ns: string; op: Manager } {
  const env = { ns: "", op: undefined as unknown as Manager };
  beforeAll(async () => {
    installCrd();
    env.ns = createNamespace(prefix);
    env.op = await startTestOperator([env.ns], extra);
  });
  afterAll(async () => {
    // The operator releases its finalizers before it stops, so the namespace can go.
    if (env.ns && env.op) await deleteExperiments(env.ns);
    await env.op?.stop();
    if (env.ns) deleteNamespace(env.ns);
  });
  return env;
}
