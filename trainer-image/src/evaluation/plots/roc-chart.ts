// The ROC curve of the test split as SVG: the curve, the chance diagonal, the AUROC, and the decision threshold's
// operating point. Without a curve (one class, no labels) the picture says why instead.
import type { RocCurve } from "../roc.ts";
import { COLORS, legend, Panel, svgDocument, text, ticks } from "./svg.ts";

export const ROC_SIZE = { width: 520, height: 500 };

/** Where the curve is drawn: exported so a test can map the polyline back to FPR/TPR. */
export const rocPanel = () => new Panel(70, 50, 400, 380, [0, 1], [0, 1]);

export interface RocChartInput {
  curve: RocCurve;
  auroc: number;
  /** the threshold of the reported predictions: its (FPR, TPR) is marked */
  threshold?: number;
  title?: string;
}

export function rocChart(input: RocChartInput): string {
  const p = rocPanel();
  const title = input.title ?? "ROC curve (test split)";
  const t = ticks(0, 1, 5);
  const body = [
    ...p.axes({ xTicks: t, yTicks: t, xLabel: "false positive rate", yLabel: "true positive rate", title, xFormat: (v) => v.toFixed(1), yFormat: (v) => v.toFixed(1) }),
    ...p.line([[0, 0], [1, 1]], COLORS.grey, { dash: "5 4", width: 1 }),
  ];
  const { curve } = input;
  if (curve.points.length === 0) {
    body.push(...p.note([curve.undefinedBecause ?? "ROC undefined", `positives ${curve.positives}, negatives ${curve.negatives}`]));
  } else {
    body.push(...p.line(curve.points.map((q) => [q.fpr, q.tpr]), COLORS.blue, { cls: "roc" }));
    const at = input.threshold === undefined ? undefined : operatingPoint(curve, input.threshold);
    if (at) body.push(...p.line([[at.fpr, at.tpr]], COLORS.orange, { markers: true, width: 0 }));
    const auroc = Number.isFinite(input.auroc) ? input.auroc.toFixed(4) : "undefined";
    body.push(...legend(p.x + p.width - 190, p.y + p.height - 58, [
      { label: `model (AUROC ${auroc})`, color: COLORS.blue },
      { label: "chance (AUROC 0.5)", color: COLORS.grey, dash: "5 4" },
      ...(at ? [{ label: `threshold ${input.threshold}`, color: COLORS.orange }] : []),
    ]));
  }
  body.push(text(p.x, ROC_SIZE.height - 12, `${curve.positives} positive, ${curve.negatives} negative samples`, { size: 11, color: COLORS.grey }));
  return svgDocument(ROC_SIZE.width, ROC_SIZE.height, title, body);
}

/** The curve point of "probability >= threshold": the last point whose threshold is still >= it. */
function operatingPoint(curve: RocCurve, threshold: number) {
  let at = curve.points[0];
  for (const q of curve.points) if (q.threshold >= threshold) at = q;
  return at;
}
