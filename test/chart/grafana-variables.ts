// What Grafana's Prometheus data source sends for a dashboard query: template variables and the built-in range
// variables substituted as Grafana does, for a chosen time range and variable selection.
import type { Variable } from "./dashboards.ts";

/** A panel's data points, where Grafana would take the panel's width in pixels: a 1000-pixel-wide panel. */
export const MAX_DATA_POINTS = 1000;

export interface TimeRange {
  /** seconds since the epoch */
  from: number;
  to: number;
}

/**
 * $__interval: the range over the data points, never below the data source's scrape interval (its "min interval").
 * Grafana rounds it to a "nice" duration; whole seconds are enough here, as a PromQL duration and a query step.
 */
export function intervalS(range: TimeRange, scrapeIntervalS: number): number {
  return Math.max(scrapeIntervalS, Math.ceil((range.to - range.from) / MAX_DATA_POINTS));
}

/** The built-in variables of a query over `range`, for a data source whose scrape interval is `scrapeIntervalS`. */
export function builtinVariables(range: TimeRange, scrapeIntervalS: number): Record<string, string> {
  const interval = intervalS(range, scrapeIntervalS);
  const rangeS = Math.round(range.to - range.from);
  return {
    __interval: `${interval}s`,
    __interval_ms: String(interval * 1000),
    // max($__interval + scrape interval, 4 x scrape interval): at least four scrapes in every rate() window
    __rate_interval: `${Math.max(interval + scrapeIntervalS, 4 * scrapeIntervalS)}s`,
    __range: `${rangeS}s`,
    __range_s: String(rangeS),
    __range_ms: String(rangeS * 1000),
  };
}

/** A variable's current value: some of its options, or "All". */
export type Selection = string[] | "All";

/** Regex metacharacters escaped for a `=~` matcher inside a PromQL string (Grafana's prometheusSpecialRegexEscape). */
const regexEscape = (v: string) => v.replace(/\\/g, "\\\\\\\\").replace(/[$^*{}[\]'+?.()|]/g, "\\\\$&");
/** A value inside a PromQL string literal (Grafana's prometheusRegularEscape). */
const stringEscape = (v: string) => v.replace(/\\/g, "\\\\").replace(/'/g, "\\\\'");

/**
 * A variable's value as the Prometheus data source writes it into a query: a single-value variable as the escaped
 * value; a multi-value or All-able one as a regex (one escaped value, or (a|b) for several); All as its allValue
 * when it has one, else every option as (a|b|...).
 */
export function formatValue(v: Variable, selection: Selection, options: readonly string[]): string {
  if (selection === "All") {
    if (v.allValue) return v.allValue;
    selection = [...options];
  }
  if (!v.multi && !v.includeAll) {
    if (selection.length !== 1) throw new Error(`variable ${v.name} takes one value, got ${selection.length}`);
    return stringEscape(selection[0]!);
  }
  const escaped = selection.map(regexEscape);
  return escaped.length === 1 ? escaped[0]! : `(${escaped.join("|")})`;
}

/**
 * `text` with $name, ${name} and [[name]] replaced by `values[name]`; an unknown variable is an error. (A format such
 * as ${name:csv} is not substituted: Prometheus then rejects the query, naming it.)
 */
export function interpolate(text: string, values: Record<string, string>): string {
  return text.replace(/\$(\w+)|\$\{(\w+)\}|\[\[(\w+)\]\]/g, (_match, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    const value = values[name];
    if (value === undefined) throw new Error(`no value for the variable $${name} in: ${text}`);
    return value;
  });
}
