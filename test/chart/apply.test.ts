// The rendered chart on the real control plane: accepted by a server-side dry run, then applied for real (in
// namespaces enforcing the "restricted" Pod Security Standard), and its ServiceAccounts' rights checked with
// `kubectl auth can-i`: every verb the operator needs, and none of a list it must not have. Finally the operator
// itself runs with nothing but the chart's ServiceAccount token, through a whole experiment with trainer reports and
// leader election, which proves the RBAC is not just small but sufficient.
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createNamespace, deleteNamespace, kubeconfig, kubectl, kubectlJson, kubectlOk, waitFor } from "../cluster/kubectl.ts";
import { installCrd } from "../operator/crd.ts";
import { apply, experiment, phaseIs, startTestOperator, type Obj } from "../operator/operator-harness.ts";
import type { Manager } from "../../operator/manager.ts";
import { Reporter } from "../../trainer-image/src/stages/reporter.ts";
import { CHART, EVERYTHING, helm, helmAsync, render, root, type Manifest } from "./helm.ts";

const id = randomBytes(3).toString("hex");
const FIELD_MANAGER = "memeops-chart-test";
let sysAll = "", sysNs = "", teamA = "", teamB = "", other = "";
const releaseAll = `mc-${id}-all`;
const releaseNs = `mc-${id}-ns`;
const operatorSa = (release: string) => `${release}-memeops-operator`;

const toStream = (objs: Manifest[]) => objs.map((o) => JSON.stringify(o)).join("\n");
const applyArgs = ["apply", "--server-side", "--force-conflicts", `--field-manager=${FIELD_MANAGER}`, "-f", "-"];

let cluster: Manifest[] = [];
let namespaced: Manifest[] = [];

beforeAll(async () => {
  // Many blocking kubectl/helm calls in a row would starve the test worker's event loop (vitest's RPC times out
  // after 60 s): let it breathe between them.
  const breathe = () => new Promise((r) => setImmediate(r));
  installCrd();
  const sm = spawnSync("bash", [join(root, "test/chart/servicemonitor-crd.sh")], { encoding: "utf8" });
  if (sm.status !== 0) throw new Error(`servicemonitor-crd.sh: ${sm.stderr}`);
  kubectlOk(["apply", "--server-side", "--force-conflicts", "-f", sm.stdout.trim()]);
  kubectlOk(["wait", "--for=condition=Established", "crd/servicemonitors.monitoring.coreos.com", "--timeout=60s"]);
  await breathe();
  const names: string[] = [];
  for (const prefix of ["memeops-chart-all", "memeops-chart-sys", "memeops-chart-a", "memeops-chart-b", "memeops-chart-other"]) {
    names.push(createNamespace(prefix));
    await breathe();
  }
  [sysAll, sysNs, teamA, teamB, other] = names as [string, string, string, string, string];
  // Pods must pass the strictest Pod Security Standard: the operator's and (in team A) the trainers'.
  for (const ns of [sysAll, sysNs, teamA]) kubectlOk(["label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted", "pod-security.kubernetes.io/warn=restricted"]);
  kubectlOk(["create", "secret", "generic", "mlflow-credentials", "-n", teamA, "--from-literal=MLFLOW_TRACKING_TOKEN=t"]);
  kubectlOk(["create", "secret", "generic", "unrelated", "-n", teamA, "--from-literal=k=v"]);
  await breathe();

  cluster = render({ release: releaseAll, namespace: sysAll, values: { metrics: { serviceMonitor: { enabled: true } }, dashboards: { enabled: true } } }).objects;
  namespaced = render({
    release: releaseNs,
    namespace: sysNs,
    valuesFiles: [EVERYTHING],
    values: { operator: { watchNamespaces: [teamA, teamB], mlflowCredentialsSecrets: ["mlflow-credentials"] }, crds: { install: false } },
  }).objects;
}, 300_000);

afterAll(() => {
  // Cluster-scoped objects of these releases; the CRDs stay (shared by every cluster test).
  for (const r of [releaseAll, releaseNs]) kubectl(["delete", "clusterrole,clusterrolebinding", "-l", `app.kubernetes.io/instance=${r}`, "--wait=false"]);
  for (const ns of [sysAll, sysNs, teamA, teamB, other]) if (ns) deleteNamespace(ns);
});

describe.each([
  ["cluster-wide (default values, ServiceMonitor and dashboards on)", () => cluster],
  ["namespaced (everything on, two watched namespaces)", () => namespaced],
])("%s", (_name, objects) => {
  test("a server-side dry run accepts every object, without Pod Security warnings", () => {
    const r = kubectl([...applyArgs.slice(0, -2), "--dry-run=server", "-f", "-"], { input: toStream(objects()) });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(objects().length);
    for (const line of r.stdout.trim().split("\n")) expect(line).toMatch(/serverside-applied \(server dry run\)$/);
  });

  test("applied for real, the operator's pods are admitted under the restricted Pod Security Standard", async () => {
    kubectlOk(applyArgs, { input: toStream(objects()) });
    const d = objects().find((o) => o.kind === "Deployment")!;
    const ns = d.metadata.namespace!;
    const pods: Obj[] = await waitFor(
      `${d.spec.replicas} operator pods`,
      () => {
        const items = kubectlJson(["get", "pods", "-n", ns, "-l", `app.kubernetes.io/instance=${d.metadata.labels!["app.kubernetes.io/instance"]}`]).items;
        return items.length === d.spec.replicas ? items : undefined;
      },
      { timeoutMs: 60_000 },
    );
    for (const p of pods) expect(p.spec.serviceAccountName).toBe(d.spec.template.spec.serviceAccountName);
    // ReplicaSet events would name a PodSecurity violation; none here
    const events = kubectlJson(["get", "events", "-n", ns]).items.map((e: Obj) => e.message).join("\n");
    expect(events).not.toMatch(/violates PodSecurity/);
  });
});

/** `kubectl auth can-i` as a ServiceAccount: "yes" or "no". Asynchronous: a long run of blocking kubectl calls would
 * stall the test worker (and vitest's RPC with it). */
async function can(sa: string, verb: string, resource: string, where: { ns?: string; all?: boolean; sub?: string }): Promise<string> {
  const args = [`--kubeconfig=${kubeconfig()}`, "auth", "can-i", verb, resource, `--as=system:serviceaccount:${sa}`];
  if (where.sub) args.push(`--subresource=${where.sub}`);
  if (where.all) args.push("--all-namespaces");
  else if (where.ns) args.push("-n", where.ns);
  const r = await new Promise<{ code: number; out: string; err: string }>((resolve) =>
    execFile("/usr/bin/kubectl", args, (error, out, err) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err })),
  );
  if (r.code > 1 || (r.code === 1 && r.out.trim() !== "no")) throw new Error(`kubectl ${args.slice(1).join(" ")}: ${r.err}`);
  return r.out.trim();
}

type Check = [verb: string, resource: string, sub?: string];
/** What the operator does in a watched namespace (see the rbac.yaml header). */
const NEEDED: Check[] = [
  ...["get", "list", "watch", "create", "patch", "delete"].map((v): Check => [v, "memeexperiments.memeops.io"]),
  ["patch", "memeexperiments.memeops.io", "status"],
  ["update", "memeexperiments.memeops.io", "finalizers"],
  ...["list", "watch"].map((v): Check => [v, "memesweeps.memeops.io"]),
  ["patch", "memesweeps.memeops.io", "status"],
  ["update", "memesweeps.memeops.io", "finalizers"],
  ...["get", "list", "watch", "create", "patch", "delete"].map((v): Check => [v, "jobs.batch"]),
  ...["get", "list", "watch", "patch"].map((v): Check => [v, "pods"]),
  ...["list", "watch", "patch"].map((v): Check => [v, "workloads.kueue.x-k8s.io"]),
  ["create", "events"],
];
/** What it must never be able to do anywhere. */
const FORBIDDEN: Check[] = [
  ["get", "secrets"],
  ["list", "secrets"],
  ["watch", "secrets"],
  ["*", "*"],
  ["create", "pods", "exec"],
  ["get", "pods", "log"],
  ["create", "pods"],
  ["delete", "pods"],
  ["update", "memeexperiments.memeops.io"],
  ["create", "memesweeps.memeops.io"],
  ["delete", "memesweeps.memeops.io"],
  ["patch", "memesweeps.memeops.io"],
  ["update", "memesweeps.memeops.io", "status"],
  ["update", "memeexperiments.memeops.io", "status"],
  ["update", "jobs.batch"],
  ["get", "configmaps"],
  ["create", "serviceaccounts", "token"],
  ["create", "rolebindings.rbac.authorization.k8s.io"],
  ["create", "roles.rbac.authorization.k8s.io"],
  ["impersonate", "serviceaccounts"],
  ["delete", "leases.coordination.k8s.io"],
  ["patch", "deployments.apps"],
  ["delete", "workloads.kueue.x-k8s.io"],
  ["get", "workloads.kueue.x-k8s.io"],
  ["update", "workloads.kueue.x-k8s.io"],
  ["update", "workloads.kueue.x-k8s.io", "status"],
];
const CLUSTER_FORBIDDEN: Check[] = [
  ["patch", "nodes"],
  ["update", "nodes"],
  ["delete", "nodes"],
  ["create", "clusterroles.rbac.authorization.k8s.io"],
  ["create", "clusterrolebindings.rbac.authorization.k8s.io"],
  ["escalate", "clusterroles.rbac.authorization.k8s.io"],
  ["bind", "clusterroles.rbac.authorization.k8s.io"],
  ["impersonate", "users"],
  ["create", "customresourcedefinitions.apiextensions.k8s.io"],
  ["create", "certificatesigningrequests.certificates.k8s.io"],
];
const fmt = (c: Check) => `${c[0]} ${c[1]}${c[2] ? `/${c[2]}` : ""}`;
/** Each check's answer, four kubectl processes at a time. */
async function verdicts(sa: string, checks: Check[], where: { ns?: string; all?: boolean }): Promise<Record<string, string>> {
  const out: [string, string][] = [];
  for (let i = 0; i < checks.length; i += 4) {
    const batch = checks.slice(i, i + 4);
    out.push(...(await Promise.all(batch.map(async (c): Promise<[string, string]> => [fmt(c), await can(sa, c[0], c[1], { ...where, sub: c[2] })]))));
  }
  return Object.fromEntries(out);
}
const all = (checks: Check[], v: string) => Object.fromEntries(checks.map((c) => [fmt(c), v]));

describe("kubectl auth can-i: the cluster-wide operator", () => {
  const sa = () => `${sysAll}:${operatorSa(releaseAll)}`;
  test("may do what it needs in any namespace, and review tokens", async () => {
    for (const ns of [other, teamA]) expect(await verdicts(sa(), NEEDED, { ns })).toEqual(all(NEEDED, "yes"));
    expect(await can(sa(), "list", "memeexperiments.memeops.io", { all: true })).toBe("yes");
    expect(await can(sa(), "create", "tokenreviews.authentication.k8s.io", {})).toBe("yes");
  });
  test("may do nothing else: no Secrets, no pods/exec, no nodes, no RBAC, no Lease without leader election", async () => {
    for (const ns of [other, sysAll]) expect(await verdicts(sa(), FORBIDDEN, { ns })).toEqual(all(FORBIDDEN, "no"));
    expect(await verdicts(sa(), CLUSTER_FORBIDDEN, {})).toEqual(all(CLUSTER_FORBIDDEN, "no"));
    expect(await can(sa(), "create", "leases.coordination.k8s.io", { ns: sysAll })).toBe("no");
  });
});

describe("kubectl auth can-i: the namespaced operator", () => {
  const sa = () => `${sysNs}:${operatorSa(releaseNs)}`;
  test("may do what it needs in the watched namespaces, read the named MLflow Secret, and hold its Lease", async () => {
    for (const ns of [teamA, teamB]) expect(await verdicts(sa(), NEEDED, { ns })).toEqual(all(NEEDED, "yes"));
    expect(await can(sa(), "get", "secrets/mlflow-credentials", { ns: teamA })).toBe("yes");
    expect(await can(sa(), "create", "tokenreviews.authentication.k8s.io", {})).toBe("yes");
    expect(await can(sa(), "create", "leases.coordination.k8s.io", { ns: sysNs })).toBe("yes");
    expect(await can(sa(), "get", "leases.coordination.k8s.io/memeops-operator", { ns: sysNs })).toBe("yes");
    expect(await can(sa(), "update", "leases.coordination.k8s.io/memeops-operator", { ns: sysNs })).toBe("yes");
  });
  test("may do nothing in other namespaces, nor cluster-wide, nor with other Secrets or Leases", async () => {
    for (const ns of [other, sysNs]) expect(await verdicts(sa(), NEEDED, { ns }), ns).toEqual(all(NEEDED, "no"));
    expect(await can(sa(), "list", "memeexperiments.memeops.io", { all: true })).toBe("no");
    expect(await can(sa(), "get", "secrets/unrelated", { ns: teamA })).toBe("no");
    expect(await can(sa(), "get", "secrets/mlflow-credentials", { ns: other })).toBe("no");
    expect(await can(sa(), "update", "leases.coordination.k8s.io/another-lease", { ns: sysNs })).toBe("no");
    expect(await can(sa(), "create", "leases.coordination.k8s.io", { ns: teamA })).toBe("no");
    for (const ns of [teamA, other]) expect(await verdicts(sa(), FORBIDDEN, { ns })).toEqual(all(FORBIDDEN, "no"));
    expect(await verdicts(sa(), CLUSTER_FORBIDDEN, {})).toEqual(all(CLUSTER_FORBIDDEN, "no"));
  });
});

describe("the models export Job (everything on: a claim and a Job in each watched namespace)", () => {
  test("its pod is admitted under the restricted Pod Security Standard in team A, with the claim and no API token", async () => {
    const job = namespaced.find((o) => o.kind === "Job" && o.metadata.namespace === teamA)!;
    expect(job.metadata.labels!["app.kubernetes.io/component"]).toBe("models-export");
    const pod: Obj = await waitFor(
      "the export Job's pod",
      () => kubectlJson(["get", "pods", "-n", teamA, "-l", `job-name=${job.metadata.name}`]).items[0],
      { timeoutMs: 60_000 },
    );
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expect(pod.spec.volumes).toContainEqual({ name: "models", persistentVolumeClaim: { claimName: `${releaseNs}-memeops-models` } });
    expect(pod.spec.containers[0].args).toContain("--skip-valid");
    const events = kubectlJson(["get", "events", "-n", teamA, "--field-selector", `involvedObject.name=${job.metadata.name}`]).items.map((e: Obj) => e.message).join("\n");
    expect(events).not.toMatch(/violates PodSecurity|FailedCreate/);
    expect(kubectlJson(["get", "pvc", `${releaseNs}-memeops-models`, "-n", teamB]).spec.accessModes).toEqual(["ReadWriteMany"]);
  });

  test("its ServiceAccount has no rights at all", async () => {
    const sa = `${teamA}:${releaseNs}-memeops-models-export`;
    const checks: Check[] = [...NEEDED, ["get", "secrets"], ["get", "persistentvolumeclaims"], ["list", "pods"]];
    expect(await verdicts(sa, checks, { ns: teamA })).toEqual(all(checks, "no"));
  });
});

describe("kubectl auth can-i: the trainer's ServiceAccount", () => {
  test("has no rights at all", async () => {
    const sa = `${teamA}:memeops-trainer`;
    const checks: Check[] = [...NEEDED, ["create", "tokenreviews.authentication.k8s.io"], ["get", "secrets"]];
    expect(await verdicts(sa, checks, { ns: teamA })).toEqual(all(checks, "no"));
  });
});

describe("the operator with only the chart's rights", () => {
  let op: Manager | undefined;
  afterAll(async () => {
    await op?.stop();
  });

  test("runs experiments to Succeeded and Failed, takes trainer reports and leads on its Lease; /metrics shows them", async () => {
    // A kubeconfig holding nothing but the namespaced release's ServiceAccount token.
    const token = kubectlOk(["create", "token", operatorSa(releaseNs), "-n", sysNs, "--duration=1h"]).trim();
    const admin = kubectlJson(["config", "view", "--raw", "--minify"]);
    admin.users = [{ name: "chart-operator", user: { token } }];
    admin.contexts[0].context.user = "chart-operator";
    const kubeconfig = join(tmpdir(), `memeops-chart-operator-${id}.kubeconfig`);
    writeFileSync(kubeconfig, JSON.stringify(admin), { mode: 0o600 });
    expect(kubectl([`--kubeconfig=${kubeconfig}`, "get", "secrets", "-n", teamA]).code).not.toBe(0);

    op = await startTestOperator([teamA], { kubeconfig, leaderElect: true, leaseNamespace: sysNs, leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 });
    await waitFor("leadership", () => op!.isLeader(), { timeoutMs: 30_000 });
    expect(kubectlJson(["get", "lease", "memeops-operator", "-n", sysNs]).spec.holderIdentity).toBeTruthy();

    apply(experiment(teamA, "ok", { outcome: "succeeded", after: "6s" }));
    apply(experiment(teamA, "bad", { outcome: "failed", spec: { runtime: { backoffLimit: 0 } } }));
    const pod: Obj = await waitFor("trainer pod running", () => kubectlJson(["get", "pods", "-n", teamA, "-l", "memeops.io/experiment=ok"]).items.find((p: Obj) => p.status.phase === "Running"));
    const bound = kubectlOk(["create", "token", "default", "-n", teamA, "--audience", "memeops", "--bound-object-kind", "Pod", "--bound-object-name", pod.metadata.name, "--bound-object-uid", pod.metadata.uid]).trim();
    const tokenFile = join(tmpdir(), `memeops-chart-report-${id}`);
    writeFileSync(tokenFile, bound, { mode: 0o600 });
    const reporter = new Reporter({ url: `http://127.0.0.1:${op.ports.report}`, tokenFile });
    const epoch = (n: number, valAuroc: number) => ({ epoch: n, trainLoss: 0.7 - n / 10, valLoss: 0.72 - n / 20, valAuroc, valAccuracy: 0.6, valF1: 0.5 });
    expect(await reporter.progress({ stage: "train", epoch: 1, totalEpochs: 2, epochMetrics: epoch(1, 0.61) })).toBe(true);
    expect(await reporter.progress({ stage: "train", epoch: 2, totalEpochs: 2, epochMetrics: epoch(2, 0.66) })).toBe(true);

    const ok = await waitFor("ok Succeeded", phaseIs(teamA, "ok", "Succeeded"), { timeoutMs: 90_000 });
    expect(ok.status.bestValAuroc).toBe(0.66);
    const bad = await waitFor("bad Failed", phaseIs(teamA, "bad", "Failed"), { timeoutMs: 90_000 });
    const reason = bad.status.conditions.find((c: Obj) => c.type === "Failed").reason;
    // The operator's Events were written with its own rights
    await waitFor("events", () => kubectlJson(["get", "events", "-n", teamA, "--field-selector", "involvedObject.name=bad"]).items.length > 0);

    const text = await (await fetch(`http://127.0.0.1:${op.ports.metrics}/metrics`)).text();
    expect(text).toContain(`memeops_experiment_epoch{namespace="${teamA}",name="ok"} 2`);
    expect(text).toContain(`memeops_experiment_epoch_metric{namespace="${teamA}",name="ok",metric="valAuroc"} 0.66`);
    expect(text).toContain(`memeops_experiment_failures_total{reason="${reason}"} 1`);
    // both experiments asked for one GPU (operator-harness): their Jobs' wall time counts as GPU time
    const gpu = /memeops_gpu_seconds_total\{namespace="[^"]+",stage="run"\} ([0-9.e+-]+)/.exec(text);
    expect(Number(gpu?.[1])).toBeGreaterThan(0);
    // nothing the operator did was refused (its JSON log, written by the test harness)
    expect(readFileSync(join(tmpdir(), `memeops-operator-${teamA}.log`), "utf8")).not.toMatch(/forbidden|\b403\b/i);
  }, 240_000);
});

describe("helm install, upgrade and uninstall with the default values, as docs/install.md says", () => {
  const release = `mh-${id}`;
  let ns = "";
  afterAll(() => {
    if (ns) helm(["uninstall", release, "--namespace", ns, "--wait=false"]);
    if (ns) deleteNamespace(ns);
  });

  test("the release adopts the existing CRD, upgrades, and leaves the CRD and its objects when uninstalled", async () => {
    ns = createNamespace("memeops-chart-helm");
    // The CRDs already exist (applied by hand, as the other tests do): adopt them into the release (docs/install.md).
    for (const crd of ["memeexperiments.memeops.io", "memesweeps.memeops.io"]) {
      kubectlOk(["label", "crd", crd, "app.kubernetes.io/managed-by=Helm", "--overwrite"]);
      kubectlOk(["annotate", "crd", crd, `meta.helm.sh/release-name=${release}`, `meta.helm.sh/release-namespace=${ns}`, "--overwrite"]);
    }
    const install = await helmAsync(["install", release, CHART, "--namespace", ns]);
    expect(install.out).toContain("STATUS: deployed");
    expect(install.out).toContain(`kubectl -n ${ns} rollout status deployment/${release}-memeops-operator`);
    expect(kubectlJson(["get", "deployment", `${release}-memeops-operator`, "-n", ns]).spec.replicas).toBe(1);

    const upgrade = await helmAsync(["upgrade", release, CHART, "--namespace", ns, "--reuse-values", "--set", "replicaCount=2"]);
    expect(upgrade.out).toContain("STATUS: deployed");
    expect(kubectlJson(["get", "role", `${release}-memeops-operator-leader-election`, "-n", ns]).rules).toHaveLength(2);

    apply(experiment(ns, "survivor"));
    const uninstall = await helmAsync(["uninstall", release, "--namespace", ns]);
    expect(uninstall.out).toMatch(/These resources were kept due to the resource policy:\n(\[CustomResourceDefinition\] (memeexperiments|memesweeps)\.memeops\.io\n){2}/);
    expect(kubectl(["get", "crd", "memeexperiments.memeops.io"]).code).toBe(0);
    expect(kubectl(["get", "crd", "memesweeps.memeops.io"]).code).toBe(0);
    expect(kubectl(["get", "memex", "survivor", "-n", ns]).code).toBe(0);
    expect(kubectl(["get", "deployment", `${release}-memeops-operator`, "-n", ns]).code).not.toBe(0);
    // the experiment keeps the operator's finalizer only if an operator ran; none did here
    kubectl(["delete", "memex", "survivor", "-n", ns, "--wait=false"]);
  });
});

describe("helm install and upgrade with the models option", () => {
  const release = `mm-${id}`;
  let ns = "";
  afterAll(() => {
    if (ns) helm(["uninstall", release, "--namespace", ns, "--wait=false"]);
    kubectl(["delete", "clusterrole,clusterrolebinding", "-l", `app.kubernetes.io/instance=${release}`, "--wait=false"]);
    if (ns) deleteNamespace(ns);
  });
  const exportJobs = () => kubectlJson(["get", "jobs", "-n", ns, "-l", "app.kubernetes.io/component=models-export"]).items.filter((j: Obj) => !j.metadata.deletionTimestamp);

  test("install returns without waiting for the export; the same values keep its Job (or recreate a deleted one), another list replaces it; the claim stays", async () => {
    ns = createNamespace("memeops-chart-models");
    const values = ["--set", "crds.install=false", "--set", "models.enabled=true", "--set", `operator.watchNamespaces={${ns}}`];
    // the claim cannot bind here (no provisioner), so the export never runs: install must not wait for it
    const install = await helmAsync(["install", release, CHART, "--namespace", ns, ...values]);
    expect(install.out).toContain("STATUS: deployed");
    expect(install.out).toContain(`Model files: claim ${release}-memeops-models in ${ns}`);
    const [first] = exportJobs();
    expect(first.metadata.name).toMatch(new RegExp(`^${release}-memeops-models-export-[0-9a-f]{8}$`));
    expect(install.out).toContain(`job/${first.metadata.name}`);
    const claimUid = kubectlJson(["get", "pvc", `${release}-memeops-models`, "-n", ns]).metadata.uid;

    const same = await helmAsync(["upgrade", release, CHART, "--namespace", ns, "--reuse-values"]);
    expect(same.out).toContain("STATUS: deployed");
    expect(exportJobs().map((j: Obj) => j.metadata.uid)).toEqual([first.metadata.uid]);

    // a failed export is run again by deleting its Job and upgrading with the same values (docs/install.md)
    kubectlOk(["delete", "job", first.metadata.name, "-n", ns, "--wait=true"]);
    const again = await helmAsync(["upgrade", release, CHART, "--namespace", ns, "--reuse-values"]);
    expect(again.out).toContain("STATUS: deployed");
    const [rerun] = exportJobs();
    expect(rerun.metadata.name).toBe(first.metadata.name);
    expect(rerun.metadata.uid).not.toBe(first.metadata.uid);

    const more = await helmAsync(["upgrade", release, CHART, "--namespace", ns, "--reuse-values", "--set", "models.export.names={efficientnet,resnet,clip,fasterrcnn}"]);
    expect(more.out).toContain("STATUS: deployed");
    const [second] = await waitFor("the old export Job gone, the new one there", () => {
      const jobs = exportJobs();
      return jobs.length === 1 && jobs[0].metadata.name !== first.metadata.name ? jobs : undefined;
    });
    expect(second.spec.template.spec.containers[0].args).toEqual(["export", "efficientnet", "resnet", "clip", "fasterrcnn", "--out", "/models", "--skip-valid"]);
    expect(kubectlJson(["get", "pvc", `${release}-memeops-models`, "-n", ns]).metadata.uid).toBe(claimUid);

    const uninstall = await helmAsync(["uninstall", release, "--namespace", ns]);
    expect(uninstall.out).toMatch(/These resources were kept due to the resource policy:\n\[PersistentVolumeClaim\] [^\n]*-memeops-models/);
    expect(kubectlJson(["get", "pvc", `${release}-memeops-models`, "-n", ns]).metadata.uid).toBe(claimUid);
  });
});
