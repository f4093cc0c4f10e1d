// The benchmark's report: per model, the seed-averaged test AUROC, accuracy and macro-F1 with percentile-bootstrap
// 95% intervals, beside the published HarMeme numbers; a picture of the same; per-harm-level figures; time per run.
import { accuracyAt, aurocMetric, bootstrapDifference, bootstrapInterval, macroF1At, type Interval } from "../../trainer-image/src/evaluation/bootstrap.ts";
import { figuresByClass } from "../../trainer-image/src/evaluation/by-class.ts";
import { intervalBarsChart } from "../../trainer-image/src/evaluation/plots/interval-bars-chart.ts";
import { MAJORITY_ACCURACY, PUBLISHED_HARMEME } from "./published.ts";

export const VARIANTS = ["text", "image", "fused"] as const;
export type Variant = (typeof VARIANTS)[number];
export const VARIANT_NAMES: Record<Variant, string> = { text: "text-only", image: "image-only", fused: "fused ViLBERT" };

export interface RunRecord {
  variant: Variant;
  seed: number;
  seconds: number;
  epochsRun: number;
  bestEpoch: number | null;
  valAuroc: number[];
  trainLoss: number[];
  testProbabilities: number[];
}

export interface BenchRecord {
  dataset: string;
  experimentFile: string;
  settings: string;
  backend: string;
  machine: string;
  date: string;
  prepareSeconds: number;
  /** computing the frozen text layers' outputs (absent in records written before it was kept) */
  frozenCacheSeconds?: number;
  testLabels: number[];
  /** the original class of each test item (HarMeme's harm level), when the source keeps it */
  testClasses?: string[];
  runs: RunRecord[];
}

export interface ModelSummary {
  variant: Variant;
  seeds: number[];
  auroc: Interval;
  accuracy: Interval;
  macroF1: Interval;
  secondsPerRun: number;
}

/** Per model, over the test items that `keep` holds (default all). */
export function summarise(bench: BenchRecord, keep: (i: number) => boolean = () => true, resamples = 2000): ModelSummary[] {
  const kept = (xs: number[]) => xs.filter((_, i) => keep(i));
  const labels = kept(bench.testLabels);
  return VARIANTS.flatMap((variant) => {
    const runs = bench.runs.filter((r) => r.variant === variant);
    if (runs.length === 0) return [];
    const probs = runs.map((r) => kept(r.testProbabilities));
    const opts = { resamples, seed: 1 };
    return [{
      variant,
      seeds: runs.map((r) => r.seed),
      auroc: bootstrapInterval(probs, labels, aurocMetric, opts),
      accuracy: bootstrapInterval(probs, labels, accuracyAt(0.5), opts),
      macroF1: bootstrapInterval(probs, labels, macroF1At(0.5), opts),
      secondsPerRun: runs.reduce((s, r) => s + r.seconds, 0) / runs.length,
    }];
  });
}

const pct = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(1) : "n/a");
const withCi = (i: Interval) => `${pct(i.mean)} [${pct(i.lo)}, ${pct(i.hi)}] ±${pct(i.sd)}`;

export function markdownTable(summaries: ModelSummary[]): string {
  const rows = [
    "| model | seeds | test AUROC [95% CI] ±sd | accuracy [95% CI] ±sd | macro-F1 [95% CI] ±sd | published (AUROC / acc.) | time per run |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const s of summaries) {
    const pub = PUBLISHED_HARMEME.find((p) => p.comparesWith === s.variant);
    rows.push(`| ${VARIANT_NAMES[s.variant]} | ${s.seeds.join(", ")} | ${withCi(s.auroc)} | ${withCi(s.accuracy)} | ${withCi(s.macroF1)} | ` +
      `${pub ? `${pub.model}: ${pct(pub.auroc)} / ${pct(pub.accuracy)}` : "-"} | ${(s.secondsPerRun / 60).toFixed(1)} min |`);
  }
  return rows.join("\n");
}

/** For each original class of the test items: how many, and the share each model (seed-averaged) calls harmful. */
export function perClassTable(bench: BenchRecord): string | null {
  if (!bench.testClasses) return null;
  const classes = [...new Set(bench.testClasses)].sort();
  const labels = Int32Array.from(bench.testLabels);
  // per variant, per class: the evaluate stage's own per-class figures of each run, averaged over the seeds
  const shareOf = (variant: Variant, cls: string) => {
    const runs = bench.runs.filter((r) => r.variant === variant);
    if (runs.length === 0) return "-";
    const shares = runs.map((r) =>
      figuresByClass(bench.testClasses!, Float32Array.from(r.testProbabilities), labels, 0.5).find((f) => f.class === cls)!.predictedPositiveShare);
    return pct(shares.reduce((a, b) => a + b, 0) / shares.length) + "%";
  };
  const rows = [
    `| test items by original class | count | ${VARIANTS.map((v) => `${VARIANT_NAMES[v]}: share predicted harmful`).join(" | ")} |`,
    `|---|---|${VARIANTS.map(() => "---").join("|")}|`,
  ];
  for (const c of classes) {
    rows.push(`| ${c} | ${bench.testClasses.filter((k) => k === c).length} | ${VARIANTS.map((v) => shareOf(v, c)).join(" | ")} |`);
  }
  return rows.join("\n");
}

export function barsSvg(summaries: ModelSummary[], footnote: string): string {
  const metric = (label: string, pick: (s: ModelSummary) => Interval, published?: "auroc" | "accuracy") => ({
    label,
    bars: summaries.map((s) => {
      const pub = published && PUBLISHED_HARMEME.find((p) => p.comparesWith === s.variant);
      return { ...pick(s), ...(pub && published ? { reference: { value: pub[published], label: pub.model } } : {}) };
    }),
  });
  return intervalBarsChart({
    title: "HarMeme (binary harmful) test split: seed means with 95% bootstrap intervals",
    series: summaries.map((s) => VARIANT_NAMES[s.variant]),
    groups: [metric("AUROC", (s) => s.auroc, "auroc"), metric("accuracy", (s) => s.accuracy, "accuracy"), metric("macro-F1", (s) => s.macroF1)],
    yLabel: "value on the test split",
    yDomain: [0.3, 1],
    footnote,
  });
}

export function publishedTable(): string {
  return [
    "| published model | test AUROC | accuracy | source |",
    "|---|---|---|---|",
    ...PUBLISHED_HARMEME.map((p) => `| ${p.model} | ${pct(p.auroc)} | ${pct(p.accuracy)} | ${p.source} |`),
    `| always "not harmful" | - | ${pct(MAJORITY_ACCURACY.accuracy)} | ${MAJORITY_ACCURACY.source} |`,
  ].join("\n");
}

/** The fused model against each one-modality model: paired bootstrap intervals of the AUROC and macro-F1 differences. */
export function fusionGainTable(bench: BenchRecord, resamples = 2000): string | null {
  const probs = (v: Variant) => bench.runs.filter((r) => r.variant === v).map((r) => r.testProbabilities);
  const fused = probs("fused");
  if (fused.length === 0) return null;
  const signed = (v: number) => `${v >= 0 ? "+" : ""}${pct(v)}`;
  const cell = (i: Interval) => `${signed(i.mean)} [${signed(i.lo)}, ${signed(i.hi)}]`;
  const rows = ["| fused minus | AUROC [95% CI] | macro-F1 [95% CI] |", "|---|---|---|"];
  for (const v of ["text", "image"] as const) {
    const other = probs(v);
    if (other.length === 0) continue;
    const opts = { resamples, seed: 2 };
    rows.push(`| ${VARIANT_NAMES[v]} | ${cell(bootstrapDifference(fused, other, bench.testLabels, aurocMetric, opts))} | ` +
      `${cell(bootstrapDifference(fused, other, bench.testLabels, macroF1At(0.5), opts))} |`);
  }
  return rows.join("\n");
}
