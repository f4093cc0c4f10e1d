// The shipped Grafana dashboards against a real Prometheus server (Debian's prometheus package) scraping the
// operator (the CLI's `memeops operator`, on the real control plane) while experiments and sweeps run: one experiment
// trains, reporting per-epoch metrics, and succeeds; one fails in a second namespace; a sweep in each namespace runs
// two trials one after the other (both succeed in the first; in the second one fails before its first epoch, the
// other succeeds). Every panel query and variable query is sent as
// Grafana would send it (variables substituted, instant or range), and must return data with every label the panel
// shows (legend {{label}}, table columns, label_values). Where the scenario fixes a value, the panel must show it.
// A new panel or dashboard is checked as it lands; a new kind adds a step to the scenario, its values to EXPECTED and
// its variables to LISTED. A sweep's trials are experiments: trainToSuccess drives each that trains, with the same
// curve, so the training dashboard's fixed values hold for every experiment it lists.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createNamespace, deleteNamespace, kubeconfig, kubectlJson, kubectlOk, waitFor } from "../cluster/kubectl.ts";
import { installCrd } from "../operator/crd.ts";
import { succeedPod } from "../operator/fake-kubelet.ts";
import { apiClient, apply, deleteExperiments, experiment, phaseIs, trainerReporter, type Obj } from "../operator/operator-harness.ts";
import { OperatorProcess } from "../operator/operator-process.ts";
import { PrometheusServer, type Series } from "../operator/prometheus.ts";
import { sweepManifest } from "../operator/sweep-driver.ts";
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
/** A sweep's best value: its trials train on EPOCHS, so the best validation AUROC of the curve. */
const BEST_AUROC = Math.max(...EPOCHS.map((e) => e.valAuroc));
/** Two trials at a time never run: each sweep's trials run one after the other, as the scenario drives them. */
const SWEEP_BUDGET = { budget: { maxTrials: 2, parallelism: 1, maxFailedTrials: 1 } };

/**
 * Queries that cannot return data in this scenario, each with the reason: "dashboard uid: panel title refId". Such a
 * query must still run; one listed here that does return data fails, so the list cannot go stale.
 */
const NO_DATA_HERE: Record<string, string> = {};

/**
 * A count read through increase(), which extrapolates to the ends of its window: these counters are 0 from before the
 * scenario, so nothing is added at the start; at the end, a range query's last step lies up to a scrape after the
 * last sample, and increase() scales the count by (sampled time + up to 1.1 scrape intervals) / sampled time. The
 * series are sampled over most of the viewed range (four scrapes' margin). Rounding was wrong here: over a 26 s
 * scenario, 12 epochs read 12.545 (12 x (24 + 1.09) / 24), so a short scenario on a fast machine failed.
 */
const count = (n: number) => {
  const most = () => n * (1 + (1.1 * SCRAPE_S) / (range.to - range.from - 4 * SCRAPE_S));
  return Object.assign((v: number) => v >= n - 1e-9 && v <= most(), { toString: () => `${n} (up to ${most().toFixed(3)} with increase()'s extrapolation)` });
};
const positive = Object.assign((v: number) => v > 0, { toString: () => "above 0" });

/** Values the scenario fixes, in the views where every multi-value variable is All: the sum of the series' last values. */
const EXPECTED: Record<string, number | ((v: number) => boolean)> = {
  "memeops-experiments: Pending A": 0,
  "memeops-experiments: Running A": 0,
  // good, and the three trials that trained (tune-t0001, tune-t0002, flaky-t0002)
  "memeops-experiments: Succeeded A": 4,
  // bad, and flaky-t0001
  "memeops-experiments: Failed A": 2,
  "memeops-experiments: Failures A": count(2),
  "memeops-experiments: Failures by reason A": count(2),
  "memeops-experiments: GPU hours A": positive,
  "memeops-experiments: GPU hours by namespace and stage A": positive,
  "memeops-experiments: Job durations by stage and result A": count(6),
  "memeops-experiments: Epochs completed per hour A": count(4 * EPOCHS.length),
  // tune: 2 Succeeded; flaky: 1 Succeeded, 1 Failed (phases at 0 are not shown)
  "memeops-experiments: Trials by sweep and phase A": 4,
  "memeops-experiments: Best value by sweep A": 2 * BEST_AUROC,
  "memeops-operator: Leaders A": 1,
  "memeops-operator: Reconciles / s A": positive,
  "memeops-training: Epoch A": EPOCHS.length,
  "memeops-training: Last epoch: validation AUROC A": EPOCHS.at(-1)!.valAuroc,
  "memeops-training: Last epoch: validation loss A": EPOCHS.at(-1)!.valLoss,
  "memeops-training: Best validation AUROC A": BEST_AUROC,
  "memeops-training: Test AUROC A": TEST_AUROC,
};

/** Options a variable must list after the scenario, by variable name. */
const LISTED: Record<string, () => string[]> = {
  namespace: () => [trainNs, failNs],
  experiment: () => ["good", "tune-t0001", "tune-t0002", "flaky-t0002"],
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

/**
 * The trainer of experiment `name` (its pod made Running by kwok) reports `epochs`, each scraped before the next so
 * the curves have a point per epoch, then exits 0 with its result; returns once Prometheus has the test AUROC. A
 * sweep's trials are experiments too: a sweep scenario drives each of them through this.
 */
async function trainToSuccess(ns: string, name: string, epochs: typeof EPOCHS, testAuroc: number): Promise<void> {
  const client = await apiClient();
  const pod: Obj = await waitFor(`${name}'s pod running`, async () => (await client.request<Obj>("GET", paths.pods(ns), { query: { labelSelector: `memeops.io/experiment=${name}` } })).items.find((p: Obj) => p.status?.phase === "Running"));
  const reporter = trainerReporter(pod, `http://127.0.0.1:${op.ports.report}`);
  for (const m of epochs) {
    expect(await reporter.progress({ stage: "train", epoch: m.epoch, totalEpochs: epochs.length, epochMetrics: m })).toBe(true);
    await until(`${name}'s epoch ${m.epoch}`, `memeops_experiment_epoch{namespace="${ns}", name="${name}"}`, (v) => v === m.epoch);
  }
  const best = epochs.reduce((a, b) => (b.valAuroc > a.valAuroc ? b : a));
  const confusionMatrix = { tp: 2, tn: 4, fp: 2, fn: 2 };
  const result = { kind: "result", bestEpoch: best.epoch, bestValAuroc: best.valAuroc, test: { auroc: testAuroc, accuracy: 0.6, precision: 0.5, recall: 0.5, f1: 0.5, threshold: 0.5, samples: 10, confusionMatrix } };
  await succeedPod(client, pod, JSON.stringify(result));
  await waitFor(`${name} Succeeded`, phaseIs(ns, name, "Succeeded"), { timeoutMs: 90_000 });
  await until(`${name}'s test AUROC`, `memeops_experiment_test_auroc{namespace="${ns}", name="${name}"}`, (v) => v === testAuroc);
}

/** The pod of experiment `name` fails before its first epoch (kwok ends it on the outcome label). */
async function failBeforeAnEpoch(ns: string, name: string): Promise<void> {
  const pod = await waitFor(`${name}'s pod running`, () => kubectlJson(["get", "pods", "-n", ns, "-l", `memeops.io/experiment=${name}`]).items.find((p: Obj) => p.status?.phase === "Running"));
  kubectlOk(["label", "pod", "-n", ns, pod.metadata.name, "memeops.io/test-outcome=failed"]);
  await waitFor(`${name} Failed`, phaseIs(ns, name, "Failed"), { timeoutMs: 90_000 });
}

const sweepIs = (ns: string, name: string, phase: string) => () => kubectlJson(["get", "memesweep", name, "-n", ns]).status?.phase === phase;

/**
 * When the dashboards are looked at: right after one more reconcile (an annotation), at the first scrape that
 * counted it, so a rate() over the last $__rate_interval (four scrapes at least) sees it: the scrape before it must
 * lie within four intervals; one missed under load makes another reconcile.
 */
async function justAfterAReconcile(): Promise<number> {
  const reconciles = 'controller_runtime_reconcile_total{controller="memeexperiment"}';
  for (let poke = 1; ; poke++) {
    const before = await scraped(`sum(${reconciles})`);
    kubectlOk(["annotate", "--overwrite", "memex", "good", "-n", trainNs, `memeops.io/test-poke=${poke}`]);
    await until("the reconcile of the annotation", `sum(${reconciles})`, (v) => v > before);
    const sums = new Map<number, number>();
    for (const s of await prom.query(`${reconciles}[1m]`, Date.now() / 1000)) for (const [t, v] of s.values) sums.set(t, (sums.get(t) ?? 0) + Number(v));
    const times = [...sums.keys()].sort((a, b) => a - b);
    const i = times.findIndex((t) => sums.get(t)! > before);
    if (i > 0 && times[i]! - times[i - 1]! < 4 * SCRAPE_S) return times[i]!;
    if (poke === 5) throw new Error(`five reconciles without two scrapes ${4 * SCRAPE_S} s apart around them: ${times.join(", ")}`);
  }
}

beforeAll(async () => {
  installCrd();
  trainNs = createNamespace("memeops-dash");
  failNs = createNamespace("memeops-dash-fail");
  op = await OperatorProcess.start({ kubeconfig: kubeconfig(), namespaces: [trainNs, failNs], logFile: join(tmpdir(), `memeops-dashboards-${process.pid}.log`) });
  prom = await PrometheusServer.start([{ address: `127.0.0.1:${op.ports.metrics}`, labels: OPERATOR_TARGET, honorLabels: true }], SCRAPE_S);
  const from = Math.floor(Date.now() / 1000) - 1;
  await until("the operator", `up{job="${OPERATOR_TARGET.job}"}`, (v) => v === 1);

  // One experiment trains for three reported epochs and succeeds; one fails elsewhere (kwok fails its pod).
  apply(experiment(trainNs, "good"));
  apply(experiment(failNs, "bad", { outcome: "failed", after: "2s" }));
  await trainToSuccess(trainNs, "good", EPOCHS, TEST_AUROC);
  await waitFor("bad Failed", phaseIs(failNs, "bad", "Failed"), { timeoutMs: 90_000 });

  // A sweep in each namespace, its trials one at a time: both train in one; in the other the first fails early.
  apply(sweepManifest(trainNs, "tune", SWEEP_BUDGET));
  apply(sweepManifest(failNs, "flaky", SWEEP_BUDGET));
  await trainToSuccess(trainNs, "tune-t0001", EPOCHS, TEST_AUROC);
  await trainToSuccess(trainNs, "tune-t0002", EPOCHS, TEST_AUROC);
  await failBeforeAnEpoch(failNs, "flaky-t0001");
  await trainToSuccess(failNs, "flaky-t0002", EPOCHS, TEST_AUROC);
  for (const [ns, name] of [[trainNs, "tune"], [failNs, "flaky"]] as const) await waitFor(`sweep ${name} Succeeded`, sweepIs(ns, name, "Succeeded"), { timeoutMs: 90_000 });

  await until("every outcome", 'memeops_experiments{phase=~"Succeeded|Failed"}', (v) => v === 6);
  await until("every Job's duration", "memeops_job_duration_seconds_count", (v) => v === 6);
  await until("both sweeps' trials", 'memeops_sweep_trials{phase=~"Succeeded|Failed"}', (v) => v === 4);
  await until("both sweeps' best values", "memeops_sweep_best_value", (v) => Math.abs(v - 2 * BEST_AUROC) < 1e-9);

  range = { from, to: await justAfterAReconcile() };
  console.log(`[dashboards] viewed over ${Math.round(range.to - from)} s ($__interval ${intervalS(range, SCRAPE_S)} s); operator log ${op.logFile}`);
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
const organizedColumns = (p: Panel) =>
  (p.transformations ?? []).filter((t) => t.id === "organize").flatMap((t) => ["excludeByName", "renameByName", "indexByName"].flatMap((k) => Object.keys((t.options?.[k] as object | undefined) ?? {})));
const lastSum = (s: Series[]) => s.reduce((a, x) => a + Number(x.values.at(-1)?.[1] ?? NaN), 0);

/** What is wrong with a panel in these views: a query that fails or returns no number, a label it shows missing. */
async function panelProblems(d: Dashboard, p: Panel & { targets: Target[] }, inViews: View[]): Promise<string[]> {
  const problems: string[] = [];
  const tableLabels = new Map<string, string>();
  for (const view of inViews) {
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
    // The columns a table's organize transformation names: the time, a query's value, or a label column.
    const columns = new Set(["Time", ...p.targets.map((t) => `Value #${t.refId}`), ...(tableLabels.get(view.name)?.split(",") ?? [])]);
    for (const c of organizedColumns(p)) if (!columns.has(c)) problems.push(`${p.title} [${view.name}]: the table's organize transformation names a column ${c} that no query returns`);
  }
  return problems;
}

describe.each(dashboardFiles())("%s against Prometheus", (file) => {
  const d = loadDashboard(file);
  const panels = allPanels(d).filter((p): p is Panel & { targets: Target[] } => (p.targets ?? []).length > 0);
  let viewed: Awaited<ReturnType<typeof views>>;
  beforeAll(async () => {
    viewed = await views(d);
  });

  test("its variables list the scenario's namespaces and experiment", () => {
    const vars = (d.templating?.list ?? []).filter((v) => v.type === "query");
    for (const v of vars) expect(viewed.options.get(v.name), v.name).toEqual(expect.arrayContaining(LISTED[v.name]?.() ?? []));
    expect(viewed.views.length).toBeGreaterThan(0);
  });

  test.each(panels.map((p) => [p.title, p] as const))("panel %s returns data with the labels it shows", async (_title, p) => {
    const problems = await panelProblems(d, p, viewed.views);
    expect(problems, problems.join("\n")).toEqual([]);
  });
});

describe("the checks themselves", () => {
  test("EXPECTED and NO_DATA_HERE name panel queries that exist, so none of their checks is silently skipped", () => {
    const queries = new Set(dashboardFiles().flatMap((f) => {
      const d = loadDashboard(f);
      return allPanels(d).flatMap((p) => (p.targets ?? []).map((t) => `${d.uid}: ${p.title} ${t.refId}`));
    }));
    expect([...Object.keys(EXPECTED), ...Object.keys(NO_DATA_HERE)].filter((k) => !queries.has(k))).toEqual([]);
  });

  test("find a failing query, no data, a NaN series, a missing legend label, mismatched table columns and a wrong value", async () => {
    const view: View = { name: "", values: builtinVariables(range, SCRAPE_S), everything: true };
    const panel = (title: string, targets: Target[], transformations?: Panel["transformations"]) => ({ id: 1, type: "table", title, targets, transformations });
    const check = (p: ReturnType<typeof panel>, uid = "check") => panelProblems({ uid, title: uid, panels: [] }, p, [view]);
    expect(await check(panel("broken", [{ refId: "A", expr: "sum(rate(memeops_epochs_completed_total[$__rate_interval])", instant: true }]))).toEqual([expect.stringMatching(/^broken A \[\]: .*bad_data/)]);
    expect(await check(panel("nothing", [{ refId: "A", expr: 'memeops_experiments{phase="Nope"}' }]))).toEqual([expect.stringMatching(/^nothing A \[\]: no data/)]);
    // the predict stage's durations exist at 0: a quantile of no observations is NaN
    const nan = 'histogram_quantile(0.9, sum by (le) (increase(memeops_job_duration_seconds_bucket{stage="predict"}[$__range])))';
    expect(await check(panel("nan", [{ refId: "A", expr: nan, instant: true }]))).toEqual([expect.stringMatching(/^nan A \[\]: a series without a number/)]);
    expect((await check(panel("legend", [{ refId: "A", expr: "max by (phase) (memeops_experiments)", legendFormat: "{{phase}} {{reason}}" }]))).join("\n")).toMatch(/legend \{\{reason\}\}: a series without it/);
    const table = panel(
      "table",
      [
        { refId: "A", expr: "max by (phase) (memeops_experiments)", instant: true, format: "table" },
        { refId: "B", expr: "sum by (verb) (memeops_operator_api_requests_total)", instant: true, format: "table" },
      ],
      [{ id: "organize", options: { renameByName: { "Value #A": "n", phases: "Phase" } } }],
    );
    const t = (await check(table)).join("\n");
    expect(t).toMatch(/table B \[\]: label columns verb where another query of the table has phase/);
    expect(t).toMatch(/names a column phases that no query returns/);
    expect(await check(panel("Leaders", [{ refId: "A", expr: "2 * sum(memeops_operator_leader)", instant: true }]), "memeops-operator")).toEqual(["Leaders A []: shows 2, the scenario makes it 1"]);
    // a count read through increase(): its extrapolation is allowed, one epoch more is not
    const epochs = (expr: string) => check(panel("Epochs completed per hour", [{ refId: "A", expr }]), "memeops-experiments");
    expect(await epochs("sum(increase(memeops_epochs_completed_total[1h]))")).toEqual([]);
    expect(await epochs("sum(increase(memeops_epochs_completed_total[1h])) + 1")).toEqual([expect.stringMatching(/^Epochs completed per hour A \[\]: shows 13\.?\d*, the scenario makes it 12 \(up to 12\.\d+ with/)]);
    expect(await epochs("sum(increase(memeops_epochs_completed_total[1h])) - 1")).toEqual([expect.stringMatching(/shows 1[01]\.?\d*, the scenario makes it 12/)]);
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
