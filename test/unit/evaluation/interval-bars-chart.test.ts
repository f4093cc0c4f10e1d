// The benchmark's picture: bar heights and whiskers are the numbers given (mapped back through the panel), a
// reference value is drawn where it belongs, and the SVG is valid (librsvg parses it).
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { INTERVAL_BARS_SIZE, intervalBarsChart, intervalBarsPanel } from "../../../trainer-image/src/evaluation/plots/interval-bars-chart.ts";

const input = {
  title: "HarMeme test",
  series: ["text", "image", "fused"],
  yLabel: "value",
  yDomain: [0.4, 1] as [number, number],
  groups: [
    { label: "AUROC", bars: [{ mean: 0.8, lo: 0.75, hi: 0.85, reference: { value: 0.814, label: "BERT" } }, { mean: 0.7, lo: 0.65, hi: 0.74 }, { mean: 0.82, lo: 0.78, hi: 0.86 }] },
    { label: "accuracy", bars: [{ mean: 0.75, lo: 0.7, hi: 0.8 }, { mean: NaN, lo: NaN, hi: NaN }, { mean: 0.77, lo: 0.72, hi: 0.81 }] },
  ],
};

describe("intervalBarsChart", () => {
  it("draws each bar to its mean and each whisker from lo to hi", () => {
    const svg = intervalBarsChart(input);
    const p = intervalBarsPanel(input.yDomain);
    const tops = [...svg.matchAll(/<rect class="bar" x="[^"]*" y="([^"]*)"/g)].map((m) => Number(m[1]));
    const means = input.groups.flatMap((g) => g.bars).map((b) => b.mean).filter(Number.isFinite);
    expect(tops).toHaveLength(means.length);
    tops.forEach((y, i) => expect(y).toBeCloseTo(p.sy(means[i]!), 1));
    const whiskers = [...svg.matchAll(/<line class="whisker" x1="[^"]*" x2="[^"]*" y1="([^"]*)" y2="([^"]*)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const bars = input.groups.flatMap((g) => g.bars).filter((b) => Number.isFinite(b.mean));
    whiskers.forEach(([y1, y2], i) => {
      expect(y1).toBeCloseTo(p.sy(bars[i]!.lo), 1);
      expect(y2).toBeCloseTo(p.sy(bars[i]!.hi), 1);
    });
    const ref = svg.match(/<line class="reference" x1="[^"]*" x2="[^"]*" y1="([^"]*)"/);
    expect(Number(ref![1])).toBeCloseTo(p.sy(0.814), 1);
    expect(svg).toContain(">n/a<"); // a missing value is said, not drawn as zero
  });

  it("is valid SVG at its size, and refuses a group with the wrong number of bars", async () => {
    expect(await sharp(Buffer.from(intervalBarsChart(input))).metadata()).toMatchObject({ format: "svg", width: INTERVAL_BARS_SIZE.width });
    expect(() => intervalBarsChart({ ...input, groups: [{ label: "x", bars: [] }] })).toThrow(/0 bars for 3 series/);
  });
});
