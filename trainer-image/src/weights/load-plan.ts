// The load report: every tensor of the checkpoint (mapped, skipped on purpose with the reason, unexpected, or of the
// wrong shape) and every parameter of the model (loaded, not in this kind of checkpoint with the reason, missing,
// or of the wrong shape). Made from names and shapes only: nothing is decoded until the plan is applied.
import type { Layout } from "./layouts/layout.ts";
import type { CheckpointFile } from "./tensors.ts";
import type { PoolerActivation } from "../models/model.ts";
import { groupNames } from "./name-groups.ts";
import { checkPoolers, type PoolerCheck } from "./pooler-check.ts";

export type SourceStatus = "mapped" | "skipped" | "unexpected" | "wrong-shape";
export type TargetStatus = "loaded" | "not-in-checkpoint" | "missing" | "wrong-shape";

export interface SourceEntry {
  name: string;
  dtype: string;
  shape: number[];
  status: SourceStatus;
  target?: string;
  transpose?: boolean;
  reason?: string;
}

export interface TargetEntry {
  name: string;
  shape: number[];
  status: TargetStatus;
  source?: string;
  reason?: string;
}

export interface LoadReport {
  file: string;
  format: CheckpointFile["format"];
  layout: string;
  model: string;
  sources: SourceEntry[];
  targets: TargetEntry[];
  notes: string[];
  /** the poolers' activation in the model, and the one their loaded weights were trained with */
  poolers: PoolerCheck;
  /** the load goes ahead, but the model will not compute what the checkpoint's model did */
  warnings: string[];
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

export interface PlanTarget {
  label: string;
  shapes: ReadonlyMap<string, number[]>;
  poolerActivation: PoolerActivation;
}

export function planLoad(file: CheckpointFile, layout: Layout, model: PlanTarget): LoadReport {
  const targetNames = new Set(model.shapes.keys());
  const sources: SourceEntry[] = [];
  const claimed = new Map<string, string>();
  const wrongShape = new Map<string, string>();
  for (const t of file.tensors.values()) {
    const base = { name: t.name, dtype: t.dtype, shape: t.shape };
    const rule = layout.rule(t.name, targetNames);
    if (!rule) {
      sources.push({ ...base, status: "unexpected", reason: `layout ${layout.id} does not know this tensor, and ${model.label} has no parameter for it` });
      continue;
    }
    if (rule.kind === "skip") {
      sources.push({ ...base, status: "skipped", reason: rule.reason });
      continue;
    }
    const want = model.shapes.get(rule.target)!;
    const got = rule.transpose && t.shape.length === 2 ? [t.shape[1]!, t.shape[0]!] : t.shape;
    const other = claimed.get(rule.target);
    if (other) {
      sources.push({ ...base, status: "unexpected", target: rule.target, reason: `${rule.target} is already loaded from ${other}` });
    } else if (!same(got, want) || (rule.transpose && t.shape.length !== 2)) {
      const reason = `${rule.target} is ${fmt(want)} in ${model.label}; this tensor gives ${fmt(got)}${rule.transpose ? " (transposed)" : ""}`;
      sources.push({ ...base, status: "wrong-shape", target: rule.target, reason });
      wrongShape.set(rule.target, `${t.name}: ${reason}`);
    } else {
      sources.push({ ...base, status: "mapped", target: rule.target, transpose: rule.transpose });
      claimed.set(rule.target, t.name);
    }
  }
  const targets: TargetEntry[] = [...model.shapes].map(([name, shape]) => {
    const source = claimed.get(name);
    if (source) return { name, shape, status: "loaded", source };
    if (wrongShape.has(name)) return { name, shape, status: "wrong-shape", reason: wrongShape.get(name)! };
    const why = layout.notInCheckpoint(name);
    return why ? { name, shape, status: "not-in-checkpoint", reason: why } : { name, shape, status: "missing", reason: `no tensor of ${file.path} maps to it` };
  });
  const { poolers, warnings } = checkPoolers(layout, model, [...claimed.keys()]);
  return { file: file.path, format: file.format, layout: layout.id, model: model.label, sources, targets, notes: file.notes, poolers, warnings };
}

export const count = <T extends { status: string }>(entries: readonly T[], status: T["status"]) =>
  entries.filter((e) => e.status === status).length;

/** What makes a load incomplete: unexpected or wrong-shaped tensors, missing parameters. */
export function loadProblems(r: LoadReport): string[] {
  return [
    ...r.sources.filter((s) => s.status === "unexpected").map((s) => `unexpected tensor ${s.name} ${fmt(s.shape)}: ${s.reason}`),
    ...r.sources.filter((s) => s.status === "wrong-shape").map((s) => `wrong shape: ${s.name} ${fmt(s.shape)}: ${s.reason}`),
    ...r.targets.filter((t) => t.status === "missing").map((t) => `missing: ${t.name} ${fmt(t.shape)}: ${t.reason}`),
  ];
}

/** The model parameters that keep their initial (seeded random, or LayerNorm 1/0) values after this load. */
export const notLoaded = (r: LoadReport) => r.targets.filter((t) => t.status !== "loaded");

export function summaryLine(r: LoadReport): string {
  const s = r.sources;
  const t = r.targets;
  return `${r.file} (${r.format}, layout ${r.layout}) -> ${r.model}: ${s.length} tensors: ${count(s, "mapped")} mapped, ` +
    `${count(s, "skipped")} skipped on purpose, ${count(s, "unexpected")} unexpected, ${count(s, "wrong-shape")} of the wrong shape; ` +
    `${t.length} model parameters: ${count(t, "loaded")} loaded, ${count(t, "not-in-checkpoint")} not in this checkpoint by design, ` +
    `${count(t, "missing")} missing, ${count(t, "wrong-shape")} of the wrong shape; poolers ${poolerLine(r.poolers)}` +
    r.warnings.map((w) => `\nWARNING: ${w}`).join("");
}

const poolerLine = (p: PoolerCheck) =>
  `${p.model}${p.checkpoint === null ? "" : p.checkpoint === p.model ? " (as trained)" : ` (trained with ${p.checkpoint})`}`;

/** Every tensor and parameter, one line each: what `memeops weights inspect` prints. */
export function reportLines(r: LoadReport): string[] {
  const lines = [...summaryLine(r).split("\n"), ...r.notes.map((n) => `note: ${n}`), "", "checkpoint tensors:"];
  for (const s of r.sources) {
    const what = s.status === "mapped" ? `-> ${s.target}${s.transpose ? " (transposed)" : ""}` : `${s.status.toUpperCase()}: ${s.reason}`;
    lines.push(`  ${s.name} ${s.dtype} ${fmt(s.shape)}  ${what}`);
  }
  const open = notLoaded(r);
  lines.push("", open.length ? "model parameters not loaded (they keep their initial values):" : "every model parameter is loaded");
  const all = r.targets.map((t) => t.name);
  const byReason = new Map<string, TargetEntry[]>();
  for (const t of open) {
    const why = `${t.status.toUpperCase()}: ${t.reason}`;
    byReason.set(why, [...(byReason.get(why) ?? []), t]);
  }
  for (const [why, entries] of byReason) {
    lines.push(`  ${why}`);
    for (const name of groupNames(all, entries.map((t) => t.name))) lines.push(`    ${name}`);
  }
  return lines;
}
