// Type-checks Grafana dashboard JSON against @grafana/schema with the TypeScript compiler: the dashboard against
// `Dashboard`, each panel's options and custom field config against its panel plugin's generated types, each target
// against the Prometheus query fields. The JSON is inlined as object literals, so misspelled or unknown fields fail
// (excess-property checks) and enums must hold one of their values.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Panel plugins the memeops dashboards use, with their generated option types (@grafana/schema exports). */
const PANEL_TYPES: Record<string, { module: string; customType?: string }> = {
  timeseries: { module: "@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen", customType: "FieldConfig" },
  stat: { module: "@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen" },
  table: { module: "@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen", customType: "FieldConfig" },
  bargauge: { module: "@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen" },
};

const PRELUDE = `
import type { Dashboard } from "@grafana/schema";
${Object.entries(PANEL_TYPES).map(([t, p]) => `import type * as ${t} from "${p.module}";`).join("\n")}
// JSON holds an enum's value, not the enum: string enums become their literal values.
type Json<T> = T extends string ? \`\${T}\` : T extends readonly (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;
// Grafana's Prometheus query (the schema types a target only as Record<string, unknown>).
interface PromTarget {
  refId: string;
  expr: string;
  datasource?: { type?: string; uid?: string };
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
  format?: "time_series" | "table" | "heatmap";
  interval?: string;
  hide?: boolean;
}
`;

interface PanelJson {
  id?: number;
  type: string;
  title?: string;
  options?: unknown;
  targets?: unknown[];
  fieldConfig?: { defaults?: { custom?: unknown } };
  panels?: PanelJson[];
}

const lit = (v: unknown) => JSON.stringify(v, null, 1);

/** The TypeScript source that checks one dashboard; exported for the test's own negative cases. */
export function checkSource(dashboard: { panels?: PanelJson[] }): string {
  const lines = [PRELUDE, `export const dashboard: Json<Dashboard> = ${lit(dashboard)};`];
  const panels = (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
  panels.forEach((p, i) => {
    if (p.type === "row") return;
    const t = PANEL_TYPES[p.type];
    if (!t) {
      lines.push(`const unknownPanelType_${i}: never = ${lit(p.type)};`);
      return;
    }
    lines.push(`export const panel${i}Options: Json<${p.type}.Options> = ${lit(p.options ?? {})};`);
    const custom = p.fieldConfig?.defaults?.custom;
    if (custom !== undefined) lines.push(`export const panel${i}Custom: ${t.customType ? `Json<${p.type}.${t.customType}>` : "never"} = ${lit(custom)};`);
    lines.push(`export const panel${i}Targets: PromTarget[] = ${lit(p.targets ?? [])};`);
  });
  return lines.join("\n");
}

/** Type errors of the dashboard, each as "line: message" with the offending source line; [] when it type-checks. */
export function grafanaTypeErrors(dashboard: { panels?: PanelJson[] }): string[] {
  const file = join(root, "test", "chart", "__dashboard_check__.ts");
  const source = checkSource(dashboard);
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const sf = program.getSourceFile(file)!;
  const srcLines = source.split("\n");
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (d.file !== sf || d.start === undefined) return msg;
    const { line } = sf.getLineAndCharacterOfPosition(d.start);
    return `${line + 1}: ${msg}\n    ${srcLines[line]?.trim()}`;
  });
}
