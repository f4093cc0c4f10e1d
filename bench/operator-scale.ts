// How the operator scales, on the test control plane (test/cluster/up.sh; KUBECONFIG=.memeops/cluster/kubeconfig):
//  1. N MemeExperiments applied at once (one `kubectl create -f` of a List): the time until every one has its Job,
//     against the same N Jobs created directly with `kubectl create -f` of a List (and one by one, BENCH_ONE_BY_ONE=1),
//     on the same control plane in the same run -> the ratio; also the N experiments created where no operator
//     watches (the ratio's floor: admitting a MemeExperiment costs the API server more than a Job);
//  2. API requests per experiment lifecycle, by verb and by verb and resource (the operator's own request counters),
//     once all N succeeded, and the conflicts the operator met (its log's "changed meanwhile" lines): the next change
//     that adds a write shows up here;
//  3. the operator's resident memory and heap with M experiments: idle before, and after all M have succeeded.
// Pods run on a fake node of the benchmark's own (tainted, so other tests' pods stay off it; deleted at the end)
// and end Succeeded 2 s after they start (kwok). Prints JSON figures.
//   npx tsx bench/operator-scale.ts [N=200] [M=1000]      (N=0: the memory part only; M=0: no memory part)      env: BENCH_WORKERS (operator --workers), BENCH_ONE_BY_ONE=1
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { mustParseMemeExperiment } from "../api/v1alpha1/parse.ts";
import { buildJob, POD_FINALIZER } from "../operator/builders/job.ts";
import { jobUnitsFor } from "../operator/builders/job-units.ts";
import { KubeClient } from "../operator/kube/client.ts";
import { fromKubeconfig } from "../operator/kube/kubeconfig.ts";
import { Informer } from "../operator/kube/informer.ts";
import { paths } from "../operator/kube/paths.ts";
import { silentLogger } from "../api/contract/log.ts";
import { OperatorProcess, sample } from "../test/operator/operator-process.ts";

const N = Number(process.argv[2] ?? 200);
const M = Number(process.argv[3] ?? 1000);
const kubeconfig = process.env.KUBECONFIG ?? ".memeops/cluster/kubeconfig";
const workers = process.env.BENCH_WORKERS;
const oneByOne = process.env.BENCH_ONE_BY_ONE === "1";
const run = randomBytes(3).toString("hex");
const node = `memeops-bench-node-${run}`;
const TAINT = "memeops.io/bench";

type Obj = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const client = new KubeClient(await fromKubeconfig(kubeconfig));

function kubectl(args: string[], input?: string): { ms: number; stdout: string } {
  const t = performance.now();
  const r = spawnSync("kubectl", [`--kubeconfig=${kubeconfig}`, ...args], { input, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`kubectl ${args.slice(0, 3).join(" ")} failed: ${r.stderr}`);
  return { ms: performance.now() - t, stdout: r.stdout };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Poll; an error (a busy API server hangs up now and then) counts as "not yet" and is reported on time-out. */
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 500): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await fn().catch((err) => void (last = err));
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await sleep(everyMs);
  }
}

function namespace(prefix: string): string {
  const ns = `memeops-bench-${prefix}-${run}`;
  kubectl(["create", "namespace", ns]);
  kubectl(["wait", "--for=create", "serviceaccount/default", "-n", ns, "--timeout=60s"]);
  return ns;
}

/** The benchmark's own fake node: room for thousands of pods, tainted so that only benchmark pods land on it. */
async function createNode(): Promise<void> {
  const res = { cpu: "4000", memory: "16Ti", pods: "5000", "ephemeral-storage": "100Ti" };
  kubectl(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: node, annotations: { "kwok.x-k8s.io/node": "fake" }, labels: { "kubernetes.io/hostname": node, type: "kwok" } },
    spec: { taints: [{ key: TAINT, value: "true", effect: "NoSchedule" }] },
    status: { capacity: res, allocatable: res },
  }));
  await until("the bench node Ready and only our taint left", async () => {
    const n = await client.request<Obj>("GET", `/api/v1/nodes/${node}`);
    const ready = n.status?.conditions?.some((c: Obj) => c.type === "Ready" && c.status === "True");
    return ready && (n.spec.taints ?? []).every((t: Obj) => t.key === TAINT);
  }, 90_000);
}

const scheduling = () => ({ nodeSelector: { "kubernetes.io/hostname": node }, tolerations: [{ key: TAINT, operator: "Exists", effect: "NoSchedule" }] });

function experiment(ns: string, name: string): Obj {
  return {
    apiVersion: "memeops.io/v1alpha1",
    kind: "MemeExperiment",
    metadata: { name, namespace: ns, annotations: { "memeops.io/pod-labels": "memeops.io/test-outcome=succeeded", "memeops.io/pod-annotations": "memeops.io/test-outcome-after=2s" } },
    spec: {
      dataset: { source: { synthetic: {} } },
      features: { extractor: "pixels", regions: 16 },
      model: { name: "vilbert_hf", size: "tiny" },
      resources: { gpus: 0, cpu: "10m", memory: "16Mi" },
      scheduling: scheduling(),
    },
  };
}

/** The Job the operator would create for that experiment, without the owner (absent here: the GC would delete it) and the pod finalizer (nobody would remove it). */
function directJob(ns: string, name: string): Obj {
  const e = experiment(ns, name);
  const parsed = mustParseMemeExperiment(e);
  const [unit] = jobUnitsFor(parsed.spec);
  const job: Obj = buildJob({ name, namespace: ns, uid: "00000000-0000-0000-0000-000000000000", annotations: e.metadata.annotations }, parsed.spec, unit!, {}, { trainerImage: "memeops/trainer:test" });
  delete job.metadata.ownerReferences;
  job.spec.template.metadata.finalizers = (job.spec.template.metadata.finalizers ?? []).filter((f: string) => f !== POD_FINALIZER);
  return job;
}

const list = (items: Obj[]) => JSON.stringify({ apiVersion: "v1", kind: "List", items });

/** When Jobs appear in a namespace (ms since `since`), seen by an informer synced before the clock starts (it re-lists
 * and re-watches by itself: a busy API server may end a watch with "too large resource version"). */
async function watchJobs(ns: string): Promise<{ arrivals: number[]; since: (t: number) => void; stop: () => void }> {
  const arrivals: number[] = [];
  let t0 = 0;
  const jobs = new Informer<Obj>(client, { name: `bench-jobs-${ns}`, paths: [paths.jobs(ns)], log: silentLogger });
  jobs.on((type) => {
    if (type === "add") arrivals.push(performance.now() - t0);
  });
  jobs.start();
  await until("the Job informer synced", async () => jobs.hasSynced(), 60_000, 50);
  return { arrivals, since: (t) => (t0 = t), stop: () => jobs.stop() };
}

async function timeJobs(ns: string, n: number, create: () => void): Promise<{ lastJobMs: number; createMs: number }> {
  const w = await watchJobs(ns);
  const t0 = performance.now();
  w.since(t0);
  create();
  const createMs = performance.now() - t0;
  await until(`${n} Jobs in ${ns}`, async () => w.arrivals.length >= n, 600_000, 100);
  w.stop();
  return { lastJobMs: Math.max(...w.arrivals), createMs };
}

const mib = (bytes: number | undefined) => (bytes === undefined ? undefined : +(bytes / 2 ** 20).toFixed(1));
async function memory(op: OperatorProcess) {
  const t = await op.metrics();
  return { rssMiB: mib(sample(t, "process_resident_memory_bytes")), heapUsedMiB: mib(sample(t, "nodejs_heap_size_used_bytes")), heapTotalMiB: mib(sample(t, "nodejs_heap_size_total_bytes")) };
}
/** The operator's request counter, keyed `VERB resource` (e.g. `PATCH memeexperiments/status`). */
async function requestsByResource(op: OperatorProcess): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  // (an operator from before the resource label counts by verb alone: "PATCH ?")
  for (const m of (await op.metrics()).matchAll(/^memeops_operator_api_requests_total\{verb="([^"]+)"(?:,resource="([^"]*)")?\} (\S+)$/gm)) out[`${m[1]} ${m[2] ?? "?"}`] = Number(m[3]);
  return out;
}
const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
async function phases(ns: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of (await client.request<Obj>("GET", paths.experiments(ns))).items) out[e.status?.phase ?? "none"] = (out[e.status?.phase ?? "none"] ?? 0) + 1;
  return out;
}
/** Experiments carry the operator's finalizer: delete them while their operator still runs, then stop it. */
async function teardown(ns: string, o: OperatorProcess): Promise<void> {
  kubectl(["delete", "memex", "--all", "-n", ns, "--wait=false"]);
  await until(`the experiments of ${ns} finalized`, async () => (await client.request<Obj>("GET", paths.experiments(ns), { query: { limit: 1 } })).items.length === 0, 600_000, 1_000).catch((e) =>
    console.error(`[bench] ${String(e)}: remove the finalizer memeops.io/cleanup by hand`),
  );
  o.kill("SIGTERM");
  await o.exited;
}

const operatorArgs = () => (workers ? ["--workers", workers] : []);
const logFile = (phase: string) => `/tmp/memeops-bench-operator-${run}-${phase}.log`;

const created: string[] = [];
const figures: Record<string, unknown> = { n: N, m: M, workers: workers ? Number(workers) : "default", operatorLogs: logFile("*") };
let op: OperatorProcess | undefined;
try {
  kubectl(["apply", "--server-side", "--force-conflicts", "-f", "crds/memeexperiment.yaml"]);
  await createNode();

  if (N > 0) {
    // 1. the same N Jobs: kubectl (List, then one by one), then the operator
    const nsList = namespace("kubectl");
    created.push(nsList);
    const names = Array.from({ length: N }, (_, i) => `bench-${i}`);
    const direct = await timeJobs(nsList, N, () => kubectl(["create", "-f", "-"], list(names.map((n) => directJob(nsList, n)))));
    figures.kubectlList = { allJobsSeconds: +(direct.lastJobMs / 1000).toFixed(2), kubectlSeconds: +(direct.createMs / 1000).toFixed(2) };
    // The floor of the ratio: the same kubectl creating the N MemeExperiments where no operator watches (a custom
    // resource with its OpenAPI schema and CEL rules costs the API server more to admit than a Job).
    const nsBare = namespace("experiments");
    created.push(nsBare);
    const bare = kubectl(["create", "-f", "-"], list(names.map((n) => experiment(nsBare, n))));
    figures.kubectlExperimentsOnly = { kubectlSeconds: +(bare.ms / 1000).toFixed(2), ratioToKubectlList: +(bare.ms / direct.lastJobMs).toFixed(2) };
    if (oneByOne) {
      const nsOne = namespace("onebyone");
      created.push(nsOne);
      const one = await timeJobs(nsOne, N, () => {
        for (const n of names) kubectl(["create", "-f", "-"], JSON.stringify(directJob(nsOne, n)));
      });
      figures.kubectlOneByOne = { allJobsSeconds: +(one.lastJobMs / 1000).toFixed(2) };
    }

    const nsOp = namespace("operator");
    created.push(nsOp);
    op = await OperatorProcess.start({ kubeconfig, namespaces: [nsOp], args: operatorArgs(), logFile: logFile("jobs") });
    await until("operator ready", async () => (await fetch(`http://127.0.0.1:${op!.ports.health}/readyz`)).status === 200, 60_000);
    await sleep(2_500); // the request gauge is refreshed every 2 s
    const before = await requestsByResource(op);
    const viaOperator = await timeJobs(nsOp, N, () => kubectl(["create", "-f", "-"], list(names.map((n) => experiment(nsOp, n)))));
    figures.operator = {
      allJobsSeconds: +(viaOperator.lastJobMs / 1000).toFixed(2),
      kubectlCreateExperimentsSeconds: +(viaOperator.createMs / 1000).toFixed(2),
      ratioToKubectlList: +(viaOperator.lastJobMs / direct.lastJobMs).toFixed(2),
      /** how long after the last experiment was stored its Job was: the operator's own lag */
      lastJobAfterLastExperimentSeconds: +((viaOperator.lastJobMs - viaOperator.createMs) / 1000).toFixed(2),
    };
    console.error(`[bench] ${JSON.stringify(figures)}`);

    // 2. requests per lifecycle: every experiment Succeeded and settled
    const t2 = performance.now();
    await until(`${N} Succeeded`, async () => (await phases(nsOp)).Succeeded === N, 900_000, 1_000);
    figures.allSucceededSeconds = +((performance.now() - t2 + viaOperator.lastJobMs) / 1000).toFixed(1);
    await sleep(5_000);
    const after = await requestsByResource(op);
    const byVerb: Record<string, number> = {};
    const byResource: Record<string, number> = {};
    let total = 0;
    let writes = 0;
    for (const [key, n] of Object.entries(after)) {
      const d = n - (before[key] ?? 0);
      if (!d) continue;
      const verb = key.split(" ")[0]!;
      byVerb[verb] = (byVerb[verb] ?? 0) + d;
      byResource[key] = +(d / N).toFixed(2);
      total += d;
      if (WRITES.has(verb)) writes += d;
    }
    const perN = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, +(v / N).toFixed(2)]));
    figures.requestsPerLifecycle = { ...perN(byVerb), total: +(total / N).toFixed(2), writes: +(writes / N).toFixed(2), byResource };
    figures.conflictsWithItself = readFileSync(logFile("jobs"), "utf8").split("\n").filter((l) => l.includes("changed meanwhile")).length;
    const first = op;
    op = undefined;
    await teardown(nsOp, first);
    console.error(`[bench] ${JSON.stringify(figures)}`);
  }

  // 3. memory with M experiments, in a fresh operator process
  if (M > 0) {
    const nsMem = namespace("memory");
    created.push(nsMem);
    op = await OperatorProcess.start({ kubeconfig, namespaces: [nsMem], args: operatorArgs(), logFile: logFile("memory") });
    await until("operator ready", async () => (await fetch(`http://127.0.0.1:${op!.ports.health}/readyz`)).status === 200, 60_000);
    await sleep(3_000);
    const idle = await memory(op);
    const memNames = Array.from({ length: M }, (_, i) => `mem-${i}`);
    const tm = performance.now();
    for (let i = 0; i < M; i += 250) kubectl(["create", "-f", "-"], list(memNames.slice(i, i + 250).map((n) => experiment(nsMem, n))));
    let peakRss = 0;
    await until(`${M} Succeeded`, async () => {
      peakRss = Math.max(peakRss, (await memory(op!)).rssMiB ?? 0);
      return (await phases(nsMem)).Succeeded === M;
    }, 1_800_000, 2_000);
    const reconciledSeconds = +((performance.now() - tm) / 1000).toFixed(1);
    await sleep(5_000);
    figures.memory = { experiments: M, idle, afterAllSucceeded: await memory(op), peakRssMiB: peakRss, allSucceededSeconds: reconciledSeconds };
    console.log(JSON.stringify(figures, null, 2));
    const second = op;
    op = undefined;
    await teardown(nsMem, second);
  } else console.log(JSON.stringify(figures, null, 2));
} finally {
  op?.kill("SIGTERM");
  await op?.exited;
  for (const ns of created) spawnSync("kubectl", [`--kubeconfig=${kubeconfig}`, "delete", "namespace", ns, "--wait=false"]);
  // The node goes last: kwok must still be there to terminate the pods bound to it.
  await until("the bench namespaces gone", async () => {
    const all = (await client.request<Obj>("GET", "/api/v1/namespaces")).items.map((n: Obj) => n.metadata.name);
    return created.every((ns) => !all.includes(ns));
  }, 300_000, 2_000).catch((e) => console.error(`[bench] ${String(e)}`));
  spawnSync("kubectl", [`--kubeconfig=${kubeconfig}`, "delete", "node", node, "--wait=false"]);
}
