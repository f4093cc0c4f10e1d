// The metric and label names a dashboard's PromQL uses, read with Prometheus' own PromQL grammar
// (@prometheus-io/lezer-promql), and the series the operator's prom-client registry can export.
import { parser } from "@prometheus-io/lezer-promql";
import type { Registry } from "prom-client";

type SyntaxNode = ReturnType<typeof parser.parse>["topNode"];

export interface Matcher {
  label: string;
  op: string;
  value: string;
}

export interface Selector {
  metric: string;
  labels: string[];
  matchers: Matcher[];
}

export interface QueryNames {
  selectors: Selector[];
  /** labels in by()/without()/on()/ignoring() */
  grouping: string[];
  /** syntax errors, with the text around them */
  errors: string[];
}

/** Grafana's range variables are not PromQL durations: substitute one before parsing. */
export function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\$__(rate_interval|range|interval)\b|\$\{__(rate_interval|range|interval)\}/g, "5m");
}

export function namesIn(expr: string): QueryNames {
  const text = withoutGrafanaVariables(expr);
  const out: QueryNames = { selectors: [], grouping: [], errors: [] };
  const at = (n: SyntaxNode) => text.slice(n.from, n.to);
  parser.parse(text).iterate({
    enter: (ref) => {
      const n = ref.node;
      if (n.type.isError) out.errors.push(`syntax error at ${n.from}: …${text.slice(Math.max(0, n.from - 20), n.to + 20)}…`);
      if (n.name === "VectorSelector") {
        const name = n.getChild("Identifier");
        const matchers = (n.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? []).map((m) => ({
          label: at(m.getChild("LabelName")!),
          op: at(m.getChild("MatchOp")!),
          value: JSON.parse(at(m.getChild("StringLiteral")!)) as string,
        }));
        // {__name__="x"} names the metric in a matcher
        const metric = name ? at(name) : (matchers.find((m) => m.label === "__name__" && m.op === "=")?.value ?? "");
        const own = matchers.filter((m) => m.label !== "__name__");
        out.selectors.push({ metric, labels: own.map((m) => m.label), matchers: own });
      }
      if (n.name === "GroupingLabels") out.grouping.push(...n.getChildren("LabelName").map(at));
    },
  });
  return out;
}

/** label_values(SELECTOR, LABEL) / label_values(LABEL) / query_result(EXPR) / metrics(REGEX): the PromQL inside. */
export function variableQueryExpr(query: string): { expr?: string; label?: string } {
  const lv = /^\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s.exec(query);
  if (lv) return { expr: lv[1], label: lv[2] };
  const qr = /^\s*query_result\((.*)\)\s*$/s.exec(query);
  if (qr) return { expr: qr[1] };
  return {};
}

/** Every series name the registry exports, with histogram/summary suffixes, and each one's label names. */
export async function exportedSeries(registry: Registry): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const m of await registry.getMetricsAsJSON()) {
    const metric = registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] } | undefined;
    const labels = new Set(metric?.labelNames ?? []);
    for (const v of m.values) for (const l of Object.keys(v.labels ?? {})) if (l !== "le" && l !== "quantile") labels.add(l);
    const type = String(m.type);
    if (type === "histogram") {
      out.set(`${m.name}_bucket`, new Set([...labels, "le"]));
      out.set(`${m.name}_sum`, labels);
      out.set(`${m.name}_count`, labels);
    } else if (type === "summary") {
      out.set(m.name, new Set([...labels, "quantile"]));
      out.set(`${m.name}_sum`, labels);
      out.set(`${m.name}_count`, labels);
    } else out.set(m.name, labels);
  }
  return out;
}

/** The values a `=` or `=~` matcher can select: its alternatives when it is a plain a|b|c, else undefined (a pattern). */
export function matchedValues(m: Matcher): string[] | undefined {
  if (m.op === "=") return [m.value];
  if (m.op === "=~" && /^[A-Za-z0-9_|-]+$/.test(m.value)) return m.value.split("|");
  return undefined;
}
