import { describe, expect, it } from "vitest";
import { PIXEL_STATS, rawPixelStat } from "../../../trainer-image/src/features/extractors/pixels.ts";
import { createExtractor } from "../../../trainer-image/src/features/registry.ts";
import { bytesOf, makeImage, testImages } from "./helpers.ts";

describe("pixels extractor", () => {
  it("describes each grid cell by its statistics; boxes are the cells", async () => {
    const extractor = await createExtractor("pixels", { regions: 4 });
    // 32x32 = 2x2 cells of 16 pixels: no resampling. Left half pure red, right half white.
    const image = makeImage(32, 32, (x) => (x < 16 ? [255, 0, 0] : [255, 255, 255]));
    const [out] = await extractor.extract([image]);
    expect(out!.regions).toBe(4);
    expect(out!.dim).toBe(PIXEL_STATS.length);
    // the raw statistic (the extractor emits it standardised), to 5 decimals: float32 round trip
    const cell = (i: number) => Object.fromEntries(PIXEL_STATS.map((name, d) => [name, +rawPixelStat(name, out!.features[i * out!.dim + d]!).toFixed(5) + 0]));
    const red = cell(0);
    expect(red).toMatchObject({ mean_r: 1, mean_g: 0, mean_b: 0, std_r: 0, mean_saturation: 1, white_fraction: 0, black_fraction: 0 });
    expect(red.mean_abs_dx).toBeCloseTo(0, 6);
    const white = cell(1);
    expect(white).toMatchObject({ mean_r: 1, mean_g: 1, mean_b: 1, mean_saturation: 0, white_fraction: 1, luma_range: 0 });
    expect(Array.from(out!.boxes.subarray(5, 10))).toEqual([0.5, 0, 1, 0.5, 0.25]);
    await extractor.close();
  });

  it("sees texture: std and gradients of a checkerboard", async () => {
    const extractor = await createExtractor("pixels", { regions: 1 });
    const [out] = await extractor.extract([makeImage(16, 16, (x, y) => ((x + y) % 2 ? [255, 255, 255] : [0, 0, 0]))]);
    const stat = (name: (typeof PIXEL_STATS)[number]) => rawPixelStat(name, out!.features[PIXEL_STATS.indexOf(name)]!);
    expect(stat("mean_r")).toBeCloseTo(0.5, 2);
    expect(stat("std_g")).toBeCloseTo(0.5, 2);
    expect(stat("mean_abs_dx")).toBeCloseTo(1, 2);
    expect(stat("white_fraction") + stat("black_fraction")).toBeCloseTo(1, 5);
  });

  it("gives the same bytes on every run, and differs between images", async () => {
    const images = testImages(3);
    const a = await (await createExtractor("pixels", { regions: 36 })).extract(images);
    const b = await (await createExtractor("pixels", { regions: 36 })).extract(images);
    a.forEach((f, i) => expect(bytesOf(f).equals(bytesOf(b[i]!))).toBe(true));
    expect(bytesOf(a[0]!).equals(bytesOf(a[1]!))).toBe(false);
  });

  it("refuses a model file and non-square region counts", async () => {
    await expect(createExtractor("pixels", { regions: 36, modelPath: "/x.onnx" })).rejects.toThrow(/no model file/);
    await expect(createExtractor("pixels", { regions: 35 })).rejects.toThrow(/perfect square/);
  });

  it("throws on a malformed image instead of returning zeros", async () => {
    const extractor = await createExtractor("pixels", { regions: 4 });
    const broken = { sha256: "f".repeat(64), width: 10, height: 10, rgb: new Uint8Array(10) };
    await expect(extractor.extract([broken])).rejects.toThrow(/is not 10x10 RGB/);
  });
});
