// The Grafana dashboards shipped in the chart, as the dashboard tests read them.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "charts", "memeops", "dashboards");
export const dashboardFiles = (): string[] => readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith(".json")).sort();

export interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
  format?: string;
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  panels?: Panel[];
  targets?: Target[];
  transformations?: { id: string; options?: Record<string, unknown> }[];
}
export interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
}
export interface Dashboard {
  uid: string;
  title: string;
  time?: { from: string; to: string };
  panels: Panel[];
  templating?: { list?: Variable[] };
}

export const loadDashboard = (file: string): Dashboard => JSON.parse(readFileSync(join(DASHBOARD_DIR, file), "utf8")) as Dashboard;

/** Every panel, those inside collapsed rows included. */
export const allPanels = (d: Dashboard): Panel[] => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

/** A query variable's query text (Grafana stores it as a string or as {query}). */
export const variableQuery = (v: Variable): string => (typeof v.query === "string" ? v.query : String(v.query?.query ?? ""));
