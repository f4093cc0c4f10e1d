// The little SVG the charts need: elements as strings, a plot panel with linear scales, axes with ticks, polylines
// that break at missing values, and a legend. Fonts are generic families, so librsvg (sharp) and browsers agree.
export const COLORS = { blue: "#1f77b4", orange: "#ff7f0e", green: "#2ca02c", grey: "#7f7f7f", red: "#d62728", ink: "#222222" };
const FONT = "DejaVu Sans, Arial, Helvetica, sans-serif";

export const escapeXml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Coordinates with two decimals: small files, no visible loss. */
export const num = (v: number) => String(Math.round(v * 100) / 100);

export function el(tag: string, attrs: Record<string, string | number | undefined>, children: string[] | string = []): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(typeof v === "number" ? num(v) : v!)}"`)
    .join("");
  const body = typeof children === "string" ? escapeXml(children) : children.join("");
  return body ? `<${tag}${a}>${body}</${tag}>` : `<${tag}${a}/>`;
}

export function svgDocument(width: number, height: number, title: string, body: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n` +
    el("svg", { xmlns: "http://www.w3.org/2000/svg", width, height, viewBox: `0 0 ${width} ${height}`, "font-family": FONT }, [
      el("title", {}, title),
      el("rect", { width, height, fill: "white" }),
      ...body,
    ]) + "\n";
}

export function text(x: number, y: number, s: string, o: { size?: number; anchor?: "start" | "middle" | "end"; color?: string; rotate?: boolean; bold?: boolean } = {}): string {
  return el("text", {
    x, y, "font-size": o.size ?? 12, "text-anchor": o.anchor ?? "start", fill: o.color ?? COLORS.ink,
    "font-weight": o.bold ? "bold" : undefined, transform: o.rotate ? `rotate(-90 ${num(x)} ${num(y)})` : undefined,
  }, s);
}

/** A rectangle of the picture with data domains mapped linearly onto it (y grows upwards). */
export class Panel {
  constructor(
    readonly x: number, readonly y: number, readonly width: number, readonly height: number,
    readonly xDomain: [number, number], readonly yDomain: [number, number],
  ) {}

  sx = (v: number) => this.x + ((v - this.xDomain[0]) / (this.xDomain[1] - this.xDomain[0])) * this.width;
  sy = (v: number) => this.y + this.height - ((v - this.yDomain[0]) / (this.yDomain[1] - this.yDomain[0])) * this.height;

  /** Frame, grid lines and tick labels, axis titles. */
  axes(o: { xTicks: number[]; yTicks: number[]; xLabel: string; yLabel: string; title: string; xFormat?: (v: number) => string; yFormat?: (v: number) => string }): string[] {
    const xf = o.xFormat ?? String;
    const yf = o.yFormat ?? String;
    const out: string[] = [];
    for (const t of o.xTicks) {
      out.push(el("line", { x1: this.sx(t), x2: this.sx(t), y1: this.y, y2: this.y + this.height, stroke: "#e5e5e5" }));
      out.push(text(this.sx(t), this.y + this.height + 16, xf(t), { anchor: "middle", size: 11 }));
    }
    for (const t of o.yTicks) {
      out.push(el("line", { x1: this.x, x2: this.x + this.width, y1: this.sy(t), y2: this.sy(t), stroke: "#e5e5e5" }));
      out.push(text(this.x - 6, this.sy(t) + 4, yf(t), { anchor: "end", size: 11 }));
    }
    out.push(el("rect", { x: this.x, y: this.y, width: this.width, height: this.height, fill: "none", stroke: COLORS.ink }));
    out.push(text(this.x + this.width / 2, this.y + this.height + 34, o.xLabel, { anchor: "middle" }));
    out.push(text(this.x - 42, this.y + this.height / 2, o.yLabel, { anchor: "middle", rotate: true }));
    out.push(text(this.x + this.width / 2, this.y - 10, o.title, { anchor: "middle", size: 14, bold: true }));
    return out;
  }

  /** A line through the points; a missing (non-finite) value breaks it. One polyline per unbroken run. */
  line(points: [number, number][], color: string, o: { dash?: string; width?: number; markers?: boolean; cls?: string } = {}): string[] {
    const runs: [number, number][][] = [[]];
    for (const p of points) {
      if (Number.isFinite(p[0]) && Number.isFinite(p[1])) runs.at(-1)!.push(p);
      else if (runs.at(-1)!.length) runs.push([]);
    }
    const out: string[] = [];
    for (const run of runs.filter((r) => r.length > 0)) {
      out.push(el("polyline", {
        class: o.cls, points: run.map(([x, y]) => `${num(this.sx(x))},${num(this.sy(y))}`).join(" "),
        fill: "none", stroke: color, "stroke-width": o.width ?? 2, "stroke-dasharray": o.dash, "stroke-linejoin": "round",
      }));
      if (o.markers) for (const [x, y] of run) out.push(el("circle", { cx: this.sx(x), cy: this.sy(y), r: 3, fill: color }));
    }
    return out;
  }

  /** A note centred in the panel (e.g. why a curve is missing). */
  note(lines: string[], color: string = COLORS.red): string[] {
    const top = this.y + this.height / 2 - ((lines.length - 1) * 16) / 2;
    return lines.map((l, i) => text(this.x + this.width / 2, top + i * 16, l, { anchor: "middle", color }));
  }
}

/** Colour swatches with labels, stacked from (x, y). */
export function legend(x: number, y: number, entries: { label: string; color: string; dash?: string }[]): string[] {
  return entries.flatMap((e, i) => [
    el("line", { x1: x, x2: x + 22, y1: y + i * 18, y2: y + i * 18, stroke: e.color, "stroke-width": 2, "stroke-dasharray": e.dash }),
    text(x + 28, y + i * 18 + 4, e.label, { size: 11 }),
  ]);
}

/** About `count` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  // whole multiples of the step, cleaned of float noise (0.6000000000000001) and of -0
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)) + 0);
  return out;
}
