// The shipped Grafana dashboards against a real Prometheus server (Debian's prometheus package) scraping the
// operator (the CLI's `memeops operator`, on the real control plane) while experiments run: one trains, reporting
// per-epoch metrics, and succeeds; one fails in a second namespace. Every panel query and variable query is sent as
// Grafana would send it (variables substituted, instant or range), and must return data with every label the panel
// shows (legend {{label}}, table columns, label_values). Where the scenario fixes a value, the panel must show it.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createNamespace, deleteNamespace, kubeconfig, kubectlOk, waitFor } from "../cluster/kubectl.ts";
import { installCrd } from "../operator/crd.ts";
import { succeedPod } from "../operator/fake-kubelet.ts";
import { apiClient, apply, deleteExperiments, experiment, phaseIs, trainerReporter, type Obj } from "../operator/operator-harness.ts";
import { OperatorProcess } from "../operator/operator-process.ts";
import { PrometheusServer, type Series } from "../operator/prometheus.ts";
import { paths } from "../../operator/kube/paths.ts";
import { allPanels, dashboardFiles, loadDashboard, variableQuery, type Dashboard, type Panel, type Target, type Variable } from "./dashboards.ts";
import { builtinVariables, formatValue, interpolate, intervalS, type Selection, type TimeRange } from "./grafana-variables.ts";
import { variableQueryExpr } from "./promql.ts";

/** Prometheus scrapes, and Grafana's data source is told it scrapes, every second. */
const SCRAPE_S = 1;
/**
 * The target labels prometheus-operator gives the chart's ServiceMonitor endpoint (release "memeops" in
 * memeops-system); honorLabels as the ServiceMonitor sets it, so the operator's own `namespace` label wins.
 */
const OPERATOR_TARGET = { job: "memeops-operator-metrics", namespace: "memeops-system", service: "memeops-operator-metrics", endpoint: "http-metrics", pod: "memeops-operator-7d9f8b6c4-x2x7q", container: "operator" };
const EPOCHS = [
  { epoch: 1, trainLoss: 0.69, valLoss: 0.7, valAuroc: 0.55, valAccuracy: 0.52, valF1: 0.5 },
  { epoch: 2, trainLoss: 0.6, valLoss: 0.62, valAuroc: 0.71, valAccuracy: 0.64, valF1: 0.6 },
  { epoch: 3, trainLoss: 0.52, valLoss: 0.58, valAuroc: 0.68, valAccuracy: 0.66, valF1: 0.63 },
];
const TEST_AUROC = 0.66;

/**
 * Queries that cannot return data in this scenario, each with the reason: "dashboard uid: panel title refId". Such a
 * query must still run; one listed here that does return data fails, so the list cannot go stale.
 */
const NO_DATA_HERE: Record<string, string> = {};

/** A count read through increase(), which extrapolates a little to the ends of its window: the nearest whole number. */
const count = (n: number) => Object.assign((v: number) => Math.round(v) === n, { toString: () => `${n} (rounded)` });
const positive = Object.assign((v: number) => v > 0, { toString: () => "above 0" });

/** Values the scenario fixes, in the views where every multi-value variable is All: the sum of the series' last values. */
const EXPECTED: Record<string, number | ((v: number) => boolean)> = {
  "memeops-experiments: Pending A": 0,
  "memeops-experiments: Running A": 0,
  "memeops-experiments: Succeeded A": 1,
  "memeops-experiments: Failed A": 1,
  "memeops-experiments: Failures A": count(1),
  "memeops-experiments: Failures by reason A": count(1),
  "memeops-experiments: GPU hours A": positive,
  "memeops-experiments: GPU hours by namespace and stage A": positive,
  "memeops-experiments: Job durations by stage and result A": count(2),
  "memeops-experiments: Epochs completed per hour A": count(EPOCHS.length),
  "memeops-operator: Leaders A": 1,
  "memeops-operator: Reconciles / s A": positive,
  "memeops-training: Epoch A": EPOCHS.length,
  "memeops-training: Last epoch: validation AUROC A": EPOCHS.at(-1)!.valAuroc,
  "memeops-training: Last epoch: validation loss A": EPOCHS.at(-1)!.valLoss,
  "memeops-training: Best validation AUROC A": Math.max(...EPOCHS.map((e) => e.valAuroc)),
  "memeops-training: Test AUROC A": TEST_AUROC,
};

let trainNs = "";
let failNs = "";
let op: OperatorProcess;
let prom: PrometheusServer;
/** The dashboards are viewed over this range: from before the first scrape to just after the scenario's end. */
let range: TimeRange;

/** The sum of an instant query's values (0 without series): for waiting until Prometheus has scraped a state. */
async function scraped(expr: string): Promise<number> {
  const r = await prom.query(expr, Date.now() / 1000);
  return r.reduce((a, s) => a + Number(s.values.at(-1)?.[1] ?? 0), 0);
}

async function until(what: string, expr: string, ok: (v: number) => boolean): Promise<void> {
  await waitFor(`Prometheus to scrape ${what} (${expr})`, async () => ok(await scraped(expr)), { timeoutMs: 90_000 });
}

beforeAll(async () => {
  installCrd();
  trainNs = createNamespace("memeops-dash");
  failNs = createNamespace("memeops-dash-fail");
  op = await OperatorProcess.start({ kubeconfig: kubeconfig(), namespaces: [trainNs, failNs], logFile: join(tmpdir(), `memeops-dashboards-${process.pid}.log`) });
  prom = await PrometheusServer.start([{ address: `127.0.0.1:${op.ports.metrics}`, labels: OPERATOR_TARGET, honorLabels: true }], SCRAPE_S);
  const from = Math.floor(Date.now() / 1000) - 1;
  await until("the operator", `up{job="${OPERATOR_TARGET.job}"}`, (v) => v === 1);

  // One experiment trains for three reported epochs and succeeds; one fails (its pod fails, kwok), elsewhere.
  const client = await apiClient();
  apply(experiment(trainNs, "good"));
  apply(experiment(failNs, "bad", { outcome: "failed", after: "2s" }));
  const pod: Obj = await waitFor("good's pod running", async () => (await client.request<Obj>("GET", paths.pods(trainNs), { query: { labelSelector: "memeops.io/experiment=good" } })).items.find((p: Obj) => p.status?.phase === "Running"));
  const reporter = trainerReporter(pod, `http://127.0.0.1:${op.ports.report}`);
  for (const m of EPOCHS) {
    expect(await reporter.progress({ stage: "train", epoch: m.epoch, totalEpochs: EPOCHS.length, epochMetrics: m })).toBe(true);
    // each epoch scraped before the next, so the curves have a point per epoch
    await until(`epoch ${m.epoch}`, `memeops_experiment_epoch{namespace="${trainNs}", name="good"}`, (v) => v === m.epoch);
  }
  const best = EPOCHS.reduce((a, b) => (b.valAuroc > a.valAuroc ? b : a));
  const confusionMatrix = { tp: 2, tn: 4, fp: 2, fn: 2 };
  const result = { kind: "result", bestEpoch: best.epoch, bestValAuroc: best.valAuroc, test: { auroc: TEST_AUROC, accuracy: 0.6, precision: 0.5, recall: 0.5, f1: 0.5, threshold: 0.5, samples: 10, confusionMatrix } };
  await succeedPod(client, pod, JSON.stringify(result));
  await waitFor("good Succeeded", phaseIs(trainNs, "good", "Succeeded"), { timeoutMs: 90_000 });
  await waitFor("bad Failed", phaseIs(failNs, "bad", "Failed"), { timeoutMs: 90_000 });
  await until("both outcomes", 'memeops_experiments{phase=~"Succeeded|Failed"}', (v) => v === 2);
  await until("both Jobs' durations", "memeops_job_duration_seconds_count", (v) => v === 2);
  await until("the test AUROC", `memeops_experiment_test_auroc{namespace="${trainNs}", name="good"}`, (v) => v === TEST_AUROC);

  // The dashboards are viewed right after one more reconcile, so a rate() over the last $__rate_interval has one to
  // see whatever the machine's load: the view ends at the first scrape that counted it.
  const reconciles = 'controller_runtime_reconcile_total{controller="memeexperiment"}';
  const before = await scraped(reconciles);
  kubectlOk(["annotate", "memex", "good", "-n", trainNs, "memeops.io/test-poke=1"]);
  await until("the reconcile of the annotation", `sum(${reconciles})`, (v) => v > before);
  const samples = await prom.query(`${reconciles}[1m]`, Date.now() / 1000);
  const sums = new Map<number, number>();
  for (const s of samples) for (const [t, v] of s.values) sums.set(t, (sums.get(t) ?? 0) + Number(v));
  const to = [...sums].filter(([, v]) => v > before).map(([t]) => t).sort((a, b) => a - b)[0]!;
  range = { from, to };
  console.log(`[dashboards] viewed over ${to - from} s: $__interval ${intervalS(range, SCRAPE_S)} s; operator log ${op.logFile}`);
}, 600_000);

afterAll(async () => {
  for (const ns of [trainNs, failNs]) if (ns && op) await deleteExperiments(ns);
  op?.kill("SIGTERM");
  await op?.exited;
  await prom?.stop();
  for (const ns of [trainNs, failNs]) if (ns) deleteNamespace(ns);
});

/** One way of viewing a dashboard: a value for each of its variables (Grafana's variable substitution). */
interface View {
  name: string;
  values: Record<string, string>;
  /** every multi-value variable is All: the view EXPECTED is about */
  everything: boolean;
}

/**
 * The views of a dashboard: its query variables resolved in order through label_values (each must list values),
 * every option of a single-value variable, and All, each option alone and all options together for a multi-value
 * one. Returns the options each variable listed, for the test's own checks.
 */
async function views(d: Dashboard): Promise<{ views: View[]; options: Map<string, string[]> }> {
  const builtins = builtinVariables(range, SCRAPE_S);
  let out: View[] = [{ name: "", values: { ...builtins }, everything: true }];
  const options = new Map<string, string[]>();
  for (const v of d.templating?.list ?? []) {
    if (v.type === "datasource") continue;
    if (v.type !== "query") throw new Error(`${d.uid}: variable ${v.name}: type ${v.type} is not handled here`);
    const { expr, label } = variableQueryExpr(variableQuery(v));
    if (!expr || !label) throw new Error(`${d.uid}: variable ${v.name}: only label_values(SELECTOR, LABEL) is handled here`);
    const next: View[] = [];
    for (const view of out) {
      const listed = (await prom.labelValues(label, interpolate(expr, view.values), range.from, range.to)).sort();
      if (listed.length === 0) throw new Error(`${d.uid}: variable ${v.name} lists no values (${expr}) in view "${view.name}"`);
      options.set(v.name, [...new Set([...(options.get(v.name) ?? []), ...listed])]);
      for (const selection of selections(v, listed)) {
        const name = `${view.name}${view.name ? ", " : ""}${v.name}=${selection === "All" ? "All" : selection.join("+")}`;
        const everything = view.everything && (selection === "All" || (!v.multi && !v.includeAll));
        next.push({ name, values: { ...view.values, [v.name]: formatValue(v, selection, listed) }, everything });
      }
    }
    out = next;
  }
  return { views: out, options };
}

function selections(v: Variable, listed: string[]): Selection[] {
  if (!v.multi && !v.includeAll) return listed.map((o) => [o]);
  return ["All", ...listed.map((o) => [o]), ...(listed.length > 1 ? [listed] : [])];
}

/** What a target asks Prometheus in `view`: instant at the end of the range, or a range query stepping $__interval. */
function run(t: Target, view: View): Promise<Series[]> {
  const expr = interpolate(t.expr, view.values);
  return t.instant ? prom.query(expr, range.to) : prom.queryRange(expr, range.from, range.to, intervalS(range, SCRAPE_S));
}

/** A series Grafana can draw: one number at least (NaN, e.g. a quantile of nothing, shows as an empty row or line). */
const drawable = (x: Series) => x.values.some(([, v]) => Number.isFinite(Number(v)));
const legendLabels = (t: Target) => [...(t.legendFormat ?? "").matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!);
const labelNames = (s: Series) => Object.keys(s.metric).filter((l) => l !== "__name__").sort();
const lastSum = (s: Series[]) => s.reduce((a, x) => a + Number(x.values.at(-1)?.[1] ?? NaN), 0);

describe.each(dashboardFiles())("%s against Prometheus", (file) => {
  const d = loadDashboard(file);
  const panels = allPanels(d).filter((p): p is Panel & { targets: Target[] } => (p.targets ?? []).length > 0);
  let viewed: Awaited<ReturnType<typeof views>>;
  beforeAll(async () => {
    viewed = await views(d);
  });

  test("its variables list the scenario's namespaces and experiment", () => {
    const vars = (d.templating?.list ?? []).filter((v) => v.type === "query");
    for (const v of vars) {
      const want = v.name === "experiment" ? ["good"] : v.name === "namespace" ? [trainNs] : [];
      expect(viewed.options.get(v.name), v.name).toEqual(expect.arrayContaining(want));
    }
    expect(viewed.views.length).toBeGreaterThan(0);
  });

  test.each(panels.map((p) => [p.title, p] as const))("panel %s returns data with the labels it shows", async (_title, p) => {
    const problems: string[] = [];
    const tableLabels = new Map<string, string>();
    for (const view of viewed.views) {
      for (const t of p.targets) {
        const where = `${p.title} ${t.refId}`;
        const key = `${d.uid}: ${where}`;
        const result = await run(t, view).catch((e: Error) => e);
        if (result instanceof Error) {
          problems.push(`${where} [${view.name}]: ${result.message}`);
          continue;
        }
        const allowed = NO_DATA_HERE[key];
        if (allowed !== undefined) {
          if (result.some(drawable)) problems.push(`${where} [${view.name}]: returns data now: take it off NO_DATA_HERE (${allowed})`);
          continue;
        }
        if (result.length === 0) problems.push(`${where} [${view.name}]: no data: ${interpolate(t.expr, view.values)}`);
        for (const s of result) if (!drawable(s)) problems.push(`${where} [${view.name}]: a series without a number (${JSON.stringify(s.metric)}): ${interpolate(t.expr, view.values)}`);
        for (const l of legendLabels(t)) for (const s of result) if (!(l in s.metric)) problems.push(`${where} [${view.name}]: legend {{${l}}}: a series without it: ${JSON.stringify(s.metric)}`);
        // A table merges its queries' rows on their labels: each query must carry the same label columns.
        if (t.format === "table") {
          for (const s of result) {
            const cols = labelNames(s).join(",");
            if (!cols) problems.push(`${where} [${view.name}]: a table row without label columns`);
            const other = tableLabels.get(view.name);
            if (other !== undefined && other !== cols) problems.push(`${where} [${view.name}]: label columns ${cols} where another query of the table has ${other}`);
            tableLabels.set(view.name, cols);
          }
        }
        const expected = EXPECTED[key];
        if (expected !== undefined && view.everything) {
          const v = lastSum(result);
          const ok = typeof expected === "number" ? Math.abs(v - expected) < 1e-9 : expected(v);
          if (!ok) problems.push(`${where} [${view.name}]: shows ${v}, the scenario makes it ${typeof expected === "number" ? expected : expected.toString()}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("the substitution itself", () => {
  const multi: Variable = { name: "namespace", type: "query", multi: true, includeAll: true, allValue: ".*" };
  const single: Variable = { name: "experiment", type: "query" };

  test("formats single, multi-value and All selections as Grafana's Prometheus data source does", () => {
    expect(formatValue(multi, "All", ["a", "b"])).toBe(".*");
    expect(formatValue({ ...multi, allValue: undefined }, "All", ["a", "b"])).toBe("(a|b)");
    expect(formatValue(multi, ["a-1", "b.x"], [])).toBe("(a-1|b\\\\.x)");
    expect(formatValue(multi, ["a"], [])).toBe("a");
    expect(formatValue(single, ["it's"], [])).toBe("it\\\\'s");
    expect(() => formatValue(single, ["a", "b"], [])).toThrow(/takes one value/);
  });

  test("substitutes $x, ${x} and [[x]], and the range variables; an unknown variable is an error", () => {
    const b = builtinVariables({ from: 1000, to: 1000 + 7 * 86400 }, 30);
    expect(b.__range).toBe("604800s");
    expect(b.__interval).toBe("605s");
    expect(b.__rate_interval).toBe("635s");
    expect(builtinVariables({ from: 0, to: 120 }, 1).__rate_interval).toBe("4s");
    expect(interpolate('x{a=~"$namespace", b="${experiment}", c="[[namespace]]"}[$__rate_interval]', { namespace: "n", experiment: "e", __rate_interval: "4s" })).toBe('x{a=~"n", b="e", c="n"}[4s]');
    expect(() => interpolate("x{a=\"$nope\"}", {})).toThrow(/\$nope/);
  });
});
