// Grouped bars with confidence intervals: one group per metric, one bar per model (its mean, whiskers from lo to hi),
// and optional reference values (published results) drawn as ticks over the bar of the model they compare with.
import { COLORS, el, legend, Panel, svgDocument, text, ticks } from "./svg.ts";

export const INTERVAL_BARS_SIZE = { width: 760, height: 530 };

export interface IntervalBar {
  mean: number;
  lo: number;
  hi: number;
  /** a published value to mark on this bar, with its label */
  reference?: { value: number; label: string };
}

export interface IntervalBarsInput {
  title: string;
  /** one name per bar in every group, in order */
  series: string[];
  groups: { label: string; bars: IntervalBar[] }[];
  yLabel: string;
  yDomain?: [number, number];
  footnote?: string;
}

const PALETTE = [COLORS.orange, COLORS.green, COLORS.blue, COLORS.red, COLORS.grey];

export const intervalBarsPanel = (domain: [number, number]) => new Panel(70, 50, 640, 330, [0, 1], domain);

export function intervalBarsChart(input: IntervalBarsInput): string {
  for (const g of input.groups) {
    if (g.bars.length !== input.series.length) throw new Error(`group ${g.label}: ${g.bars.length} bars for ${input.series.length} series`);
  }
  const domain = input.yDomain ?? [0, 1];
  const p = intervalBarsPanel(domain);
  const body = p.axes({ xTicks: [], yTicks: ticks(domain[0], domain[1], 5), xLabel: "", yLabel: input.yLabel, title: input.title, yFormat: (v) => v.toFixed(2) });
  const groupWidth = 1 / input.groups.length;
  const barWidth = (groupWidth * 0.8) / input.series.length;
  const clamp = (v: number) => Math.min(domain[1], Math.max(domain[0], v));
  input.groups.forEach((g, gi) => {
    const left = gi * groupWidth + groupWidth * 0.1;
    body.push(text(p.sx(left + groupWidth * 0.4), p.y + p.height + 18, g.label, { anchor: "middle" }));
    g.bars.forEach((b, bi) => {
      const x0 = p.sx(left + bi * barWidth);
      const x1 = p.sx(left + (bi + 1) * barWidth) - 3;
      const mid = (x0 + x1) / 2;
      const color = PALETTE[bi % PALETTE.length]!;
      if (!Number.isFinite(b.mean)) {
        body.push(text(mid, p.sy(domain[0]) - 6, "n/a", { anchor: "middle", size: 10, color: COLORS.red }));
        return;
      }
      body.push(el("rect", { class: "bar", x: x0, y: p.sy(clamp(b.mean)), width: x1 - x0, height: p.sy(domain[0]) - p.sy(clamp(b.mean)), fill: color, "fill-opacity": 0.75 }));
      body.push(el("line", { class: "whisker", x1: mid, x2: mid, y1: p.sy(clamp(b.lo)), y2: p.sy(clamp(b.hi)), stroke: COLORS.ink, "stroke-width": 1.5 }));
      for (const v of [b.lo, b.hi]) body.push(el("line", { x1: mid - 5, x2: mid + 5, y1: p.sy(clamp(v)), y2: p.sy(clamp(v)), stroke: COLORS.ink, "stroke-width": 1.5 }));
      body.push(text(mid, p.sy(clamp(b.hi)) - 5, b.mean.toFixed(3), { anchor: "middle", size: 10 }));
      if (b.reference) {
        const y = p.sy(clamp(b.reference.value));
        body.push(el("line", { class: "reference", x1: x0 - 2, x2: x1 + 2, y1: y, y2: y, stroke: COLORS.ink, "stroke-width": 2.5, "stroke-dasharray": "4 2" }));
      }
    });
  });
  // below the group labels, so it never covers a bar
  body.push(...legend(p.x + 10, p.y + p.height + 40, [
    ...input.series.map((label, i) => ({ label, color: PALETTE[i % PALETTE.length]! })),
    { label: "published (dashed tick on the matching bar)", color: COLORS.ink, dash: "4 2" },
  ]));
  if (input.footnote) body.push(text(p.x, INTERVAL_BARS_SIZE.height - 12, input.footnote, { size: 11, color: COLORS.grey }));
  return svgDocument(INTERVAL_BARS_SIZE.width, INTERVAL_BARS_SIZE.height, input.title, body);
}
