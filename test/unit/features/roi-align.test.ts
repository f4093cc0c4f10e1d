// roi-align.ts against torchvision.ops.roi_align (7x7, sampling ratio 2, aligned) on a small seeded map, for boxes
// that reach every branch of its bilinear sampling: inside, across the border, wholly outside (zero), tiny, one pixel
// wide, the whole map. Written by `python -m memeops_exporter roi-align-cases` (test/fixtures/exported/README.md).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { roiMean } from "../../../trainer-image/src/features/detection/roi-align.ts";

interface Cases {
  roiAlign: { outputSize: number; samplingRatio: number; aligned: boolean };
  map: { shape: [number, number, number]; values: number[] };
  cases: { box: [number, number, number, number]; means: number[] }[];
}

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "../../fixtures/exported/roi-align-cases.json"), "utf8")) as Cases;
const [channels, height, width] = fixture.map.shape;
const map = { data: Float32Array.from(fixture.map.values), offset: 0, channels, height, width };

describe("roiMean = the mean of torchvision's roi_align", () => {
  it("is torchvision's configuration", () => {
    expect(fixture.roiAlign).toEqual({ outputSize: 7, samplingRatio: 2, aligned: true });
  });

  it.each(fixture.cases.map((c) => [c.box.map((v) => v.toFixed(2)).join(", "), c] as const))("box [%s] within 1e-6", (_, { box, means }) => {
    const ours = roiMean(map, box);
    means.forEach((m, c) => expect(Math.abs(ours[c]! - m)).toBeLessThan(1e-6));
  });

  it("reads the channel planes of the image at `offset` in a batch", () => {
    const batch = new Float32Array(2 * map.data.length);
    batch.set(map.data, map.data.length);
    const { box, means } = fixture.cases[1]!;
    const ours = roiMean({ ...map, data: batch, offset: map.data.length }, box);
    means.forEach((m, c) => expect(Math.abs(ours[c]! - m)).toBeLessThan(1e-6));
  });

  it("has cases wholly off the map (all samples outside: zeros) and none that torchvision zeroes otherwise", () => {
    // aligned: samples lie in the box shifted by -0.5 px; torchvision drops samples below -1 or beyond the size
    const outside = ([x1, y1, x2, y2]: readonly [number, number, number, number]) => x2 - 0.5 < -1 || y2 - 0.5 < -1 || x1 - 0.5 > width || y1 - 0.5 > height;
    const zero = fixture.cases.filter((c) => c.means.every((m) => m === 0));
    expect(zero.length).toBe(2);
    expect(fixture.cases.filter((c) => outside(c.box))).toEqual(zero);
  });
});
