import { describe, expect, it } from "vitest";
import { iou, nonMaxSuppression, type Box } from "../../../trainer-image/src/features/detection/nms.ts";
import { roiMean } from "../../../trainer-image/src/features/detection/roi-align.ts";
import { adaptiveAvgPool, gridBoxes, gridSide } from "../../../trainer-image/src/features/grid.ts";

describe("adaptiveAvgPool", () => {
  it("pools 7x7 to 6x6 with PyTorch's overlapping windows", () => {
    // One channel, value = 10*y + x: a window's mean is 10*mean(y) + mean(x).
    const data = Float32Array.from({ length: 49 }, (_, i) => 10 * Math.floor(i / 7) + (i % 7));
    const out = adaptiveAvgPool({ data, offset: 0, channels: 1, height: 7, width: 7, channelStride: 49, rowStride: 7, colStride: 1 }, 6);
    // AdaptiveAvgPool2d(6) on 7: window i = [floor(7i/6), ceil(7(i+1)/6)) -> [0,2) [1,3) [2,4) [3,5) [4,6) [5,7)
    const centre = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5];
    expect(Array.from(out)).toEqual(centre.flatMap((cy) => centre.map((cx) => expect.closeTo(10 * cy + cx, 5))));
  });

  it("reads channels-last token grids through strides", () => {
    // 2x2 tokens, 3 channels, [token, channel] layout: pooling to 1x1 is the per-channel mean.
    const data = Float32Array.from([1, 10, 100, 2, 20, 200, 3, 30, 300, 4, 40, 400]);
    const out = adaptiveAvgPool({ data, offset: 0, channels: 3, height: 2, width: 2, channelStride: 1, rowStride: 6, colStride: 3 }, 1);
    expect(Array.from(out)).toEqual([2.5, 25, 250]);
  });
});

describe("grid boxes", () => {
  it("normalises cells and their area", () => {
    const boxes = gridBoxes(2);
    expect(Array.from(boxes)).toEqual([0, 0, 0.5, 0.5, 0.25, 0.5, 0, 1, 0.5, 0.25, 0, 0.5, 0.5, 1, 0.25, 0.5, 0.5, 1, 1, 0.25]);
  });

  it("rejects non-square region counts", () => {
    expect(gridSide(36, "x")).toBe(6);
    expect(() => gridSide(10, "resnet")).toThrow(/resnet: regions must be a perfect square.*10/);
  });
});

describe("roiMean", () => {
  const ramp = (height: number, width: number, channels: number) => ({
    // channel c, pixel (y, x) = c + 100*y + x: a linear function, so bilinear sampling is exact.
    data: Float32Array.from({ length: channels * height * width }, (_, i) => {
      const c = Math.floor(i / (height * width));
      const p = i % (height * width);
      return c + 100 * Math.floor(p / width) + (p % width);
    }),
    offset: 0,
    channels,
    height,
    width,
  });

  it("averages a linear map to its value at the box centre (aligned: pixel centres at +0.5)", () => {
    const out = roiMean(ramp(8, 8, 3), [2, 1, 6, 5]);
    // centre (4, 3) in box coordinates -> sample space (3.5, 2.5)
    expect(Array.from(out)).toEqual([0, 1, 2].map((c) => expect.closeTo(c + 100 * 2.5 + 3.5, 4)));
  });

  it("is constant on a constant map, whatever the box", () => {
    const map = { data: new Float32Array(2 * 16).fill(3), offset: 0, channels: 2, height: 4, width: 4 };
    expect(Array.from(roiMean(map, [0, 0, 4, 4]))).toEqual([expect.closeTo(3, 5), expect.closeTo(3, 5)]);
  });
});

describe("nonMaxSuppression", () => {
  const boxes: Box[] = [
    [0, 0, 10, 10],
    [1, 1, 10, 10],
    [20, 20, 30, 30],
    [0, 0, 5, 10],
  ];
  it("keeps the best of overlapping boxes, in score order, up to the limit", () => {
    expect(iou(boxes[0]!, boxes[1]!)).toBeCloseTo(0.81, 5);
    expect(nonMaxSuppression(boxes, [0.9, 0.95, 0.5, 0.7], 0.3, 10)).toEqual([1, 2]);
    expect(nonMaxSuppression(boxes, [0.9, 0.95, 0.5, 0.7], 0.9, 10)).toEqual([1, 0, 3, 2]);
    expect(nonMaxSuppression(boxes, [0.9, 0.95, 0.5, 0.7], 0.9, 2)).toEqual([1, 0]);
  });
  it("breaks score ties by index", () => {
    expect(nonMaxSuppression([boxes[2]!, boxes[0]!], [0.5, 0.5], 0.3, 5)).toEqual([0, 1]);
  });
});
