import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { lossFn, lossOfProbability, type LossSpec } from "../../../trainer-image/src/common/losses.ts";
import { useWasm } from "./wasm.ts";

beforeAll(useWasm);

// logits (0, ln 3) give p1 = 0.75 exactly; values below are worked by hand:
//   -ln 0.75 = 0.2876821, -ln 0.25 = 1.3862944
const P1 = 0.75;
const LOGITS = [0, Math.log(3)];
const spec = (type: LossSpec["type"]): LossSpec => ({ type, alpha: 0.35, gamma: 2, smoothing: 0.1 });
const CASES: [LossSpec["type"], 0 | 1, number][] = [
  ["ce", 1, 0.2876821],
  ["ce", 0, 1.3862944],
  // 0.35 * 0.25^2 * 0.2876821
  ["focal", 1, 0.0062930],
  // 0.65 * 0.75^2 * 1.3862944
  ["focal", 0, 0.5068639],
  // 0.05 * 1.3862944 + 0.95 * 0.2876821
  ["label_smoothing", 1, 0.3426127],
  // 0.35 * (0.05 * 0.75^2 * 1.3862944 + 0.95 * 0.25^2 * 0.2876821)
  ["focal_smoothing", 1, 0.0196247],
  // 0.65 * (0.95 * 0.75^2 * 1.3862944 + 0.05 * 0.25^2 * 0.2876821)
  ["focal_smoothing", 0, 0.4821051],
];

describe("losses", () => {
  it.each(CASES)("%s with y=%i matches the hand-computed value", (type, y, expected) => {
    expect(lossOfProbability(spec(type), P1, y)).toBeCloseTo(expected, 6);
    const value = tf.tidy(() => lossFn(spec(type), tf.tensor2d([LOGITS]), tf.tensor1d([y], "int32")).dataSync()[0]!);
    expect(value).toBeCloseTo(expected, 5);
  });

  it("averages over the batch", () => {
    const value = tf.tidy(() => lossFn(spec("focal"), tf.tensor2d([LOGITS, LOGITS]), tf.tensor1d([1, 0], "int32")).dataSync()[0]!);
    expect(value).toBeCloseTo((0.0062930 + 0.5068639) / 2, 5);
  });

  it("focal with gamma 0 and alpha 0.5 is half of ce; smoothing 0 is ce", () => {
    const half = lossOfProbability({ type: "focal", alpha: 0.5, gamma: 0, smoothing: 0 }, 0.3, 1);
    expect(half).toBeCloseTo(-Math.log(0.3) / 2, 10);
    expect(lossOfProbability({ ...spec("label_smoothing"), smoothing: 0 }, 0.3, 0)).toBeCloseTo(-Math.log(0.7), 10);
  });

  it("non-integer gamma takes the pow path and agrees with the formula", () => {
    const s: LossSpec = { type: "focal", alpha: 0.35, gamma: 1.5, smoothing: 0 };
    const value = tf.tidy(() => lossFn(s, tf.tensor2d([LOGITS]), tf.tensor1d([1], "int32")).dataSync()[0]!);
    expect(value).toBeCloseTo(lossOfProbability(s, P1, 1), 5);
  });
});
