// The Grafana dashboards shipped in the chart: valid dashboard JSON by @grafana/schema's types, and every metric
// (and label) that a panel or variable queries is one the operator exports.
import { beforeAll, describe, expect, test } from "vitest";
import { PHASES } from "../../api/v1alpha1/status.ts";
import { CONTROLLER, EPOCH_METRICS, OperatorMetrics } from "../../operator/metrics.ts";
import { grafanaTypeErrors } from "./grafana-types.ts";
import { exportedSeries, matchedValues, namesIn, variableQueryExpr } from "./promql.ts";
import { allPanels, dashboardFiles, loadDashboard as load, variableQuery, type Dashboard, type Panel } from "./dashboards.ts";

const files = dashboardFiles();

/** Labels Prometheus attaches to every scraped series (the ServiceMonitor keeps the operator's own with honorLabels). */
const TARGET_LABELS = ["job", "instance", "pod", "service", "container", "endpoint", "namespace"];

/** Label values the operator can export, where they are a closed set: a matcher on anything else matches nothing. */
const KNOWN_VALUES: { metric: RegExp; label: string; values: readonly string[] }[] = [
  { metric: /^memeops_experiments$/, label: "phase", values: PHASES },
  { metric: /^memeops_experiment_epoch_metric$/, label: "metric", values: EPOCH_METRICS },
  { metric: /^controller_runtime_/, label: "controller", values: [CONTROLLER] },
  { metric: /^workqueue_/, label: "name", values: [CONTROLLER] },
  { metric: /^memeops_job_duration_seconds/, label: "result", values: ["succeeded", "failed"] },
];

/** Every PromQL expression of a dashboard, with where it comes from. */
function queries(d: Dashboard): { where: string; expr: string; legend?: string }[] {
  const out: { where: string; expr: string; legend?: string }[] = [];
  for (const p of allPanels(d)) {
    for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr, legend: t.legendFormat });
  }
  for (const v of d.templating?.list ?? []) {
    if (v.type !== "query") continue;
    const q = variableQuery(v);
    const { expr, label } = variableQueryExpr(q);
    if (!expr) throw new Error(`${d.uid}: variable ${v.name}: not a label_values/query_result query: ${q}`);
    out.push({ where: `variable ${v.name}`, expr, legend: label && `{{${label}}}` });
  }
  return out;
}

/** Problems of one expression against the exported series: unknown metric names, labels no series carries. */
function problems(series: Map<string, Set<string>>, q: { where: string; expr: string; legend?: string }): string[] {
  const n = namesIn(q.expr);
  const out = n.errors.map((e) => `${q.where}: ${e}`);
  const labels = new Set(TARGET_LABELS);
  for (const s of n.selectors) {
    const known = series.get(s.metric);
    if (!known) out.push(`${q.where}: metric ${s.metric || "(unnamed selector)"} is not exported by the operator`);
    for (const l of known ?? []) labels.add(l);
    for (const l of s.labels) if (known && !known.has(l) && !TARGET_LABELS.includes(l)) out.push(`${q.where}: ${s.metric} has no label ${l}`);
    for (const m of s.matchers) {
      const closed = KNOWN_VALUES.find((k) => k.metric.test(s.metric) && k.label === m.label);
      for (const v of (closed && matchedValues(m)) ?? []) if (!closed!.values.includes(v)) out.push(`${q.where}: ${s.metric}{${m.label}="${v}"} is never exported (${closed!.values.join(", ")})`);
    }
  }
  for (const l of n.grouping) if (!labels.has(l)) out.push(`${q.where}: grouping label ${l} is on none of its metrics`);
  for (const m of (q.legend ?? "").matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)) if (!labels.has(m[1]!)) out.push(`${q.where}: legend label ${m[1]} is on none of its metrics`);
  return out;
}

let series: Map<string, Set<string>>;
beforeAll(async () => {
  series = await exportedSeries(new OperatorMetrics().registry);
});

test("the chart ships the three dashboards", () => {
  expect(files).toEqual(["experiments-overview.json", "operator-health.json", "training-curves.json"]);
  const uids = files.map((f) => load(f).uid);
  expect(new Set(uids).size).toBe(uids.length);
});

test("counters, and only counters, are named *_total; dashboards read them through rate() or increase()", async () => {
  const registry = new OperatorMetrics().registry;
  const types = new Map((await registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
  const mine = [...types].filter(([name]) => !/^(process_|nodejs_)/.test(name));
  expect(mine.filter(([name, type]) => (type === "counter") !== name.endsWith("_total"))).toEqual([]);
  expect(types.get("memeops_operator_api_requests_total")).toBe("counter");
  expect(types.get("memeops_operator_leader")).toBe("gauge");
  const counters = mine.filter(([, type]) => type === "counter").map(([name]) => name);
  // (a variable's label_values(counter, label) only reads label values)
  const bare = files.flatMap((f) =>
    queries(load(f)).filter((q) => q.where.startsWith("panel")).flatMap((q) => counters.filter((c) => new RegExp(`(?<!\\b(?:rate|irate|increase)\\()\\b${c}\\b`).test(q.expr)).map((c) => `${q.where}: ${c}`)),
  );
  expect(bare).toEqual([]);
  expect(queries(load("operator-health.json")).some((q) => /\bmemeops_operator_leader\b/.test(q.expr))).toBe(true);
});

describe.each(files)("%s", (file) => {
  const d = load(file);

  test("type-checks against @grafana/schema (Dashboard, panel options, field config)", () => {
    expect(grafanaTypeErrors(d)).toEqual([]);
  }, 120_000);

  test("panel ids are unique and panels stay inside the 24-column grid", () => {
    const panels = allPanels(d) as (Panel & { gridPos: { x: number; w: number } })[];
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
  });

  test("every metric and label queried exists in the operator's registry", () => {
    const qs = queries(d);
    expect(qs.length).toBeGreaterThan(3);
    expect(qs.flatMap((q) => problems(series, q))).toEqual([]);
  });
});

describe("the checks themselves", () => {
  test("the type check rejects an unknown panel option and a wrong enum value", () => {
    const d = load("operator-health.json");
    const bad = structuredClone(d) as Dashboard & { graphTooltip: unknown };
    const [stat1, stat2] = bad.panels.filter((p) => p.type === "stat") as (Panel & { options: Record<string, unknown> })[];
    stat1!.options.colorMode = "rainbow";
    stat2!.options.sparkle = true;
    bad.graphTooltip = 7;
    const errors = grafanaTypeErrors(bad).join("\n");
    expect(errors).toMatch(/"rainbow"/);
    expect(errors).toMatch(/sparkle/);
    expect(errors).toMatch(/graphTooltip/);
  }, 120_000);

  test("the name check finds a misspelt metric, a _bucket of a non-histogram and a label the metric lacks", () => {
    const bad = [
      { where: "a", expr: 'sum(rate(controller_runtime_reconcile_totl[$__rate_interval]))' },
      { where: "b", expr: "histogram_quantile(0.9, sum by (le) (rate(workqueue_depth_bucket[5m])))" },
      { where: "c", expr: 'max by (phase) (memeops_experiments{reason="OOMKilled"})' },
      { where: "d", expr: "sum by (stage) (memeops_experiments)" },
      { where: "e", expr: "sum(rate(foo[5m]) " },
      { where: "f", expr: 'max(memeops_experiments{phase=~"Pending|Running"})' },
    ].flatMap((q) => problems(series, q));
    expect(bad.join("\n")).toMatch(/a: metric controller_runtime_reconcile_totl is not exported/);
    expect(bad.join("\n")).toMatch(/b: metric workqueue_depth_bucket is not exported/);
    expect(bad.join("\n")).toMatch(/c: memeops_experiments has no label reason/);
    expect(bad.join("\n")).toMatch(/d: grouping label stage is on none of its metrics/);
    expect(bad.join("\n")).toMatch(/e: syntax error/);
    expect(bad.join("\n")).toMatch(/f: memeops_experiments\{phase="Running"\} is never exported/);
    expect(bad.join("\n")).not.toMatch(/phase="Pending"/);
    // and histogram series are known with their suffixes
    expect(problems(series, { where: "ok", expr: "sum by (le) (rate(controller_runtime_reconcile_time_seconds_bucket[5m]))" })).toEqual([]);
  });
});
