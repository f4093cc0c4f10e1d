// The run's pictures: the ROC curve drawn is the metrics' ROC curve, the files are real SVG and PNG (read back by
// sharp), and the awkward cases (one epoch, metrics that are not numbers, a one-class split) draw and say why.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { areaUnder, rocCurve } from "../../../trainer-image/src/evaluation/roc.ts";
import { auroc, classificationReport } from "../../../trainer-image/src/evaluation/metrics.ts";
import { ROC_SIZE, rocChart, rocPanel } from "../../../trainer-image/src/evaluation/plots/roc-chart.ts";
import { TRAINING_CURVES_SIZE, trainingCurvesChart } from "../../../trainer-image/src/evaluation/plots/training-curves-chart.ts";
import { writeRocPlot, writeTrainingCurvesPlot } from "../../../trainer-image/src/evaluation/plots/run-plots.ts";
import { ticks } from "../../../trainer-image/src/evaluation/plots/svg.ts";
import type { EpochMetrics } from "../../../api/v1alpha1/status.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-plots-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const polylines = (svg: string, cls: string) =>
  [...svg.matchAll(new RegExp(`<polyline class="${cls}" points="([^"]*)"`, "g"))].map((m) => m[1]!.split(" ").map((xy) => xy.split(",").map(Number) as [number, number]));

const epochs = (rows: [number, number, number][]): EpochMetrics[] =>
  rows.map(([trainLoss, valLoss, valAuroc], i) => ({ epoch: i + 1, trainLoss, valLoss, valAuroc, valAccuracy: 0.5, valF1: 0.5 }));

async function expectSvgAndPng(svgPath: string, pngPath: string | undefined, size: { width: number; height: number }) {
  const svg = readFileSync(svgPath, "utf8");
  expect(svg.startsWith(`<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"`)).toBe(true);
  // librsvg refuses malformed XML: parsing it is the validity check
  expect(await sharp(Buffer.from(svg)).metadata()).toMatchObject({ format: "svg", width: size.width });
  expect(pngPath).toBeDefined();
  const png = readFileSync(pngPath!);
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(await sharp(png).metadata()).toMatchObject({ format: "png", width: size.width });
  // not a blank page: the picture has dark ink and colour
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let dark = 0;
  for (let i = 0; i < data.length; i += info.channels) if (data[i]! < 100 && data[i + 1]! < 100 && data[i + 2]! < 100) dark++;
  expect(dark).toBeGreaterThan(200);
}

describe("ROC curve points", () => {
  it("known cases (sklearn roc_curve, drop_intermediate=False), ties as one diagonal step", () => {
    const c = rocCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
    expect(c.points.map((p) => [p.fpr, p.tpr, p.threshold])).toEqual([[0, 0, Infinity], [0, 0.5, 0.8], [0.5, 0.5, 0.4], [0.5, 1, 0.35], [1, 1, 0.1]]);
    const tied = rocCurve([0.5, 0.5, 0.2, 0.9], [0, 1, 0, 1]);
    expect(tied.points.map((p) => [p.fpr, p.tpr])).toEqual([[0, 0], [0, 0.5], [0.5, 1], [1, 1]]);
    expect(areaUnder(tied.points)).toBe(0.875);
  });

  it("the area under the points is the midrank AUROC; unknown labels are left out", () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.constantFrom(0, 1, -1)), { minLength: 2, maxLength: 50 })
        .filter((r) => r.some(([, y]) => y === 1) && r.some(([, y]) => y === 0)),
      (rows) => {
        const scores = rows.map(([s]) => s / 6);
        const labels = rows.map(([, y]) => y);
        const known = rows.filter(([, y]) => y !== -1);
        expect(areaUnder(rocCurve(scores, labels).points)).toBeCloseTo(auroc(known.map(([s]) => s / 6), known.map(([, y]) => y)), 12);
      },
    ));
  });

  it("one class or no labels: no points, and the reason", () => {
    expect(rocCurve([0.2, 0.7], [1, 1])).toMatchObject({ points: [], positives: 2, negatives: 0, undefinedBecause: "ROC undefined: every labelled sample is positive (2 samples)" });
    expect(rocCurve([0.2, 0.7], [-1, -1]).undefinedBecause).toBe("ROC undefined: no sample has a known label");
  });
});

describe("the ROC picture", () => {
  it("draws exactly the ROC points (the polyline mapped back through the panel's scales)", () => {
    const scores = [0.05, 0.3, 0.3, 0.42, 0.5, 0.61, 0.61, 0.77, 0.9, 0.93];
    const labels = [0, 0, 1, 0, 1, 0, 1, 1, 1, 1];
    const curve = rocCurve(scores, labels);
    const svg = rocChart({ curve, auroc: auroc(scores, labels), threshold: 0.5 });
    const lines = polylines(svg, "roc");
    expect(lines).toHaveLength(1);
    const p = rocPanel();
    const back = lines[0]!.map(([x, y]) => [(x - p.x) / p.width, (p.y + p.height - y) / p.height]);
    expect(back).toHaveLength(curve.points.length);
    back.forEach(([fpr, tpr], i) => {
      expect(fpr).toBeCloseTo(curve.points[i]!.fpr, 4);
      expect(tpr).toBeCloseTo(curve.points[i]!.tpr, 4);
    });
    expect(svg).toContain(`AUROC ${auroc(scores, labels).toFixed(4)}`);
  });

  it("is written as SVG and PNG that sharp reads back", async () => {
    const probabilities = Float32Array.from([0.1, 0.8, 0.35, 0.6, 0.2, 0.9]);
    const labels = Int32Array.from([0, 1, 0, 1, 1, 0]);
    const files = await writeRocPlot(tmp, { probabilities, labels }, classificationReport(probabilities, labels, 0.5));
    expect(files).toMatchObject({ name: "roc", svg: join(tmp, "roc.svg"), png: join(tmp, "roc.png") });
    expect(files.notes).toBeUndefined();
    await expectSvgAndPng(files.svg, files.png, ROC_SIZE);
  });

  it("a one-class test split draws the axes and says why there is no curve", async () => {
    const probabilities = Float32Array.from([0.1, 0.8, 0.35]);
    const labels = Int32Array.from([0, 0, 0]);
    const files = await writeRocPlot(join(tmp, "one-class"), { probabilities, labels }, classificationReport(probabilities, labels, 0.5));
    expect(files.notes).toEqual(["ROC undefined: every labelled sample is negative (3 samples)"]);
    const svg = readFileSync(files.svg, "utf8");
    expect(svg).toContain("ROC undefined: every labelled sample is negative (3 samples)");
    expect(polylines(svg, "roc")).toEqual([]);
    await expectSvgAndPng(files.svg, files.png, ROC_SIZE);
  });
});

describe("the training-curves picture", () => {
  it("draws one point per epoch per metric and marks the best epoch", async () => {
    const h = epochs([[0.9, 0.8, 0.55], [0.7, 0.65, 0.7], [0.5, 0.6, 0.8], [0.4, 0.62, 0.78]]);
    const svg = trainingCurvesChart({ history: h, bestEpoch: 3 });
    for (const key of ["trainLoss", "valLoss", "valAuroc"]) expect(polylines(svg, key)[0]).toHaveLength(4);
    const best = polylines(svg, "best-epoch");
    expect(best).toHaveLength(2);
    // both marks stand on epoch 3's x: the x of the third validation-AUROC point
    const x3 = polylines(svg, "valAuroc")[0]![2]![0];
    expect(best[1]!.map(([x]) => x)).toEqual([x3, x3]);
    expect(svg).toContain("best epoch 3");
    const files = await writeTrainingCurvesPlot(tmp, h, 3);
    await expectSvgAndPng(files.svg, files.png, TRAINING_CURVES_SIZE);
  });

  it("one epoch: a marker per metric, no crash", async () => {
    const files = await writeTrainingCurvesPlot(join(tmp, "one"), epochs([[0.7, 0.69, 0.6]]), 1);
    const svg = readFileSync(files.svg, "utf8");
    expect(polylines(svg, "valAuroc")[0]).toHaveLength(1);
    expect(svg.match(/<circle /g)?.length).toBe(3);
    await expectSvgAndPng(files.svg, files.png, TRAINING_CURVES_SIZE);
  });

  it("metrics that are not numbers break the line and are named, in the picture and in the notes", async () => {
    const h = epochs([[0.7, 0.69, NaN], [0.6, Infinity, NaN], [0.5, 0.6, 0.7]]);
    const files = await writeTrainingCurvesPlot(join(tmp, "nan"), h, 3);
    const why = "validation AUROC is not a number in epochs 1, 2 (AUROC is undefined when the validation split has one class)";
    expect(files.notes).toEqual(["validation loss is not a number in epoch 2", why]);
    const svg = readFileSync(files.svg, "utf8");
    expect(svg).toContain(why);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(polylines(svg, "valLoss").map((l) => l.length)).toEqual([1, 1]);
    expect(polylines(svg, "valAuroc").map((l) => l.length)).toEqual([1]);
    const png = await sharp(readFileSync(files.png!)).metadata();
    expect(png.height).toBe(TRAINING_CURVES_SIZE.height + 32);
  });

  it("no epoch at all: a picture that says so", () => {
    expect(trainingCurvesChart({ history: [] })).toContain("no epoch has finished");
  });

  it("tick values are round and cover the range", () => {
    expect(ticks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(1, 8, 7)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ticks(0, 0.93, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
  });
});
