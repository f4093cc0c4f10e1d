// Training curves as SVG: train and validation loss (left) and validation AUROC (right) by epoch, the best epoch
// marked in both. Every epoch gets a marker, so a one-epoch run still shows its point; a metric that is not a number
// (AUROC of a one-class validation split, a diverged loss) breaks its line, and a note under the chart names it.
import type { EpochMetrics } from "../../../../api/v1alpha1/status.ts";
import { COLORS, el, legend, Panel, svgDocument, text, ticks } from "./svg.ts";

export const TRAINING_CURVES_SIZE = { width: 900, height: 430 };

export interface TrainingCurvesInput {
  history: EpochMetrics[];
  bestEpoch?: number | null;
  title?: string;
}

const SERIES = [
  { key: "trainLoss", label: "train loss", color: COLORS.blue, panel: "loss" },
  { key: "valLoss", label: "validation loss", color: COLORS.orange, panel: "loss" },
  { key: "valAuroc", label: "validation AUROC", color: COLORS.green, panel: "auroc" },
] as const;

export function trainingCurvesChart(input: TrainingCurvesInput): string {
  const title = input.title ?? "Training curves";
  const h = input.history;
  if (h.length === 0) {
    const p = new Panel(70, 50, 760, 300, [0, 1], [0, 1]);
    return svgDocument(TRAINING_CURVES_SIZE.width, TRAINING_CURVES_SIZE.height, title, [
      el("rect", { x: p.x, y: p.y, width: p.width, height: p.height, fill: "none", stroke: COLORS.ink }),
      ...p.note(["no epoch has finished: nothing to draw"]),
    ]);
  }
  const epochs = h.map((m) => m.epoch);
  const first = Math.min(...epochs);
  const last = Math.max(...epochs);
  // a margin, so the first and last points sit off the frame; one epoch sits in the middle
  const pad = first === last ? 1 : (last - first) * 0.04;
  const xDomain: [number, number] = [first - pad, last + pad];
  const xTicks = ticks(first, last, Math.min(10, Math.max(1, last - first))).filter((t) => Number.isInteger(t));

  const losses = h.flatMap((m) => [m.trainLoss, m.valLoss]).filter(Number.isFinite);
  const lossTop = losses.length ? Math.max(...losses) * 1.05 || 1 : 1;
  const loss = new Panel(70, 50, 340, 300, xDomain, [0, lossTop]);
  const auroc = new Panel(530, 50, 340, 300, xDomain, [0, 1]);
  const panels = { loss, auroc };

  const body = [
    ...loss.axes({ xTicks, yTicks: ticks(0, lossTop, 5), xLabel: "epoch", yLabel: "loss", title: "Loss", yFormat: (v) => String(Number(v.toPrecision(3))) }),
    ...auroc.axes({ xTicks, yTicks: ticks(0, 1, 5), xLabel: "epoch", yLabel: "AUROC", title: "Validation AUROC", yFormat: (v) => v.toFixed(1) }),
    ...auroc.line([[xDomain[0], 0.5], [xDomain[1], 0.5]], COLORS.grey, { dash: "5 4", width: 1 }),
  ];
  const best = input.bestEpoch ?? undefined;
  if (best !== undefined && epochs.includes(best)) {
    for (const p of [loss, auroc]) {
      body.push(...p.line([[best, p.yDomain[0]], [best, p.yDomain[1]]], COLORS.red, { dash: "3 3", width: 1.5, cls: "best-epoch" }));
    }
    // the label on the side of the line with more room
    const right = auroc.sx(best) < auroc.x + auroc.width / 2;
    body.push(text(auroc.sx(best) + (right ? 4 : -4), auroc.y + 14, `best epoch ${best}`, { color: COLORS.red, size: 11, anchor: right ? "start" : "end" }));
  }
  for (const s of SERIES) body.push(...panels[s.panel].line(h.map((m) => [m.epoch, m[s.key]]), s.color, { markers: true, cls: s.key }));
  body.push(...legend(loss.x, 395, SERIES.filter((s) => s.panel === "loss")));
  body.push(...legend(auroc.x, 395, [...SERIES.filter((s) => s.panel === "auroc"), { label: "chance", color: COLORS.grey, dash: "5 4" }]));
  const notes = trainingCurvesNotes(h);
  body.push(...notes.map((n, i) => text(loss.x, TRAINING_CURVES_SIZE.height + 4 + i * 16, n, { color: COLORS.red, size: 11 })));
  return svgDocument(TRAINING_CURVES_SIZE.width, TRAINING_CURVES_SIZE.height + 16 * notes.length, title, body);
}

/** Why a line has gaps, one sentence per metric: drawn under the chart and listed in results.json. */
export function trainingCurvesNotes(history: EpochMetrics[]): string[] {
  return SERIES.flatMap((s) => {
    const bad = history.filter((m) => !Number.isFinite(m[s.key])).map((m) => m.epoch);
    if (!bad.length) return [];
    const why = s.key === "valAuroc" ? " (AUROC is undefined when the validation split has one class)" : "";
    return [`${s.label} is not a number in epoch${bad.length > 1 ? "s" : ""} ${bad.join(", ")}${why}`];
  });
}
