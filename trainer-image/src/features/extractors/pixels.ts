// `pixels`: no weights. The image is squashed to a square of side*CELL pixels and cut into side x side cells;
// each cell is described by PIXEL_STATS (below), standardised with fixed constants (PIXEL_STAT_NORMS).
// Deterministic and cheap: the quickstart's default.
import type { DecodedImage, FeatureExtractor, RegionFeatures } from "../extractor.ts";
import { gridBoxes, gridSide } from "../grid.ts";
import { resizeSquare } from "../image/resize.ts";
import type { ExtractorRegistration } from "../registry.ts";

const CELL = 16;

/** The feature vector of one cell, in this order (D = 12). */
export const PIXEL_STATS = [
  "mean_r", "mean_g", "mean_b",
  "std_r", "std_g", "std_b",
  "mean_saturation", // HSV saturation, (max - min) / max
  "mean_abs_dx", "mean_abs_dy", // luma gradients to the right and downward neighbour inside the cell
  "white_fraction", // every channel >= 230: meme caption text is white
  "black_fraction", // every channel <= 25: and outlined in black
  "luma_range", // max - min luma
] as const;

/**
 * (centre, scale) per statistic: the extractor emits (raw - centre) / scale. Raw statistics lie in [0, 1] with a
 * large shared offset (mean colours ~0.5 in every cell of every image); fed raw, that offset dominates the
 * projected region vectors and the pooled whole-image vector (measured on the quickstart data at init: the
 * warm/cool difference of the pooled visual vector was 0.22 of its shared part raw, 1.2 with these constants),
 * which drowned the visual signal in the gradients the text stream learns from (label = image XOR text), so the
 * tiny ViLBERT sat at chance for hundreds of steps. Colour means use ImageNet's channel mean
 * and std (what CNN inputs are normalised with); the other statistics use typical values of the statistic.
 * Fixed constants, not dataset statistics: features stay a function of the image alone (cacheable, and the
 * same at train and predict time).
 */
export const PIXEL_STAT_NORMS: Record<(typeof PIXEL_STATS)[number], readonly [centre: number, scale: number]> = {
  mean_r: [0.485, 0.229],
  mean_g: [0.456, 0.224],
  mean_b: [0.406, 0.225],
  std_r: [0.1, 0.1],
  std_g: [0.1, 0.1],
  std_b: [0.1, 0.1],
  mean_saturation: [0.3, 0.25],
  mean_abs_dx: [0.03, 0.03],
  mean_abs_dy: [0.03, 0.03],
  white_fraction: [0.05, 0.15],
  black_fraction: [0.05, 0.15],
  luma_range: [0.25, 0.2],
};
const NORMS = PIXEL_STATS.map((name) => PIXEL_STAT_NORMS[name]);

/** Raw statistic values (each in [0, 1]) from the extractor's standardised output. */
export const rawPixelStat = (name: (typeof PIXEL_STATS)[number], value: number): number =>
  value * PIXEL_STAT_NORMS[name][1] + PIXEL_STAT_NORMS[name][0];

export const pixels: ExtractorRegistration = {
  description: `no weights: ${PIXEL_STATS.length} colour/texture statistics per grid cell, standardised`,
  async create(options) {
    if (options.modelPath !== undefined) throw new Error("pixels: this extractor takes no model file");
    const side = gridSide(options.regions, "pixels");
    const boxes = gridBoxes(side);
    const extractor: FeatureExtractor = {
      name: "pixels",
      dim: PIXEL_STATS.length,
      fingerprint: `pixels|regions=${options.regions}|cell=${CELL}|stats=${PIXEL_STATS.join(",")}|v2`,
      extract: (images) => Promise.all(images.map((image) => describeCells(image, side, boxes))),
      close: async () => {},
    };
    return extractor;
  },
};

async function describeCells(image: DecodedImage, side: number, boxes: Float32Array): Promise<RegionFeatures> {
  const size = side * CELL;
  const { rgb } = await resizeSquare(image, size, "linear");
  const dim = PIXEL_STATS.length;
  const features = new Float32Array(side * side * dim);
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const raw = cellStats(rgb, size, col * CELL, row * CELL);
      features.set(raw.map((v, d) => (v - NORMS[d]![0]) / NORMS[d]![1]), (row * side + col) * dim);
    }
  }
  return { regions: side * side, dim, features, boxes: boxes.slice() };
}

const luma = (rgb: Uint8Array, p: number) => 0.299 * rgb[p]! + 0.587 * rgb[p + 1]! + 0.114 * rgb[p + 2]!;

function cellStats(rgb: Uint8Array, size: number, x0: number, y0: number): number[] {
  const sum = [0, 0, 0];
  const squares = [0, 0, 0];
  let saturation = 0;
  let dx = 0;
  let dy = 0;
  let white = 0;
  let black = 0;
  let minLuma = 255;
  let maxLuma = 0;
  for (let y = y0; y < y0 + CELL; y++) {
    for (let x = x0; x < x0 + CELL; x++) {
      const p = (y * size + x) * 3;
      const r = rgb[p]!;
      const g = rgb[p + 1]!;
      const b = rgb[p + 2]!;
      sum[0]! += r;
      sum[1]! += g;
      sum[2]! += b;
      squares[0]! += r * r;
      squares[1]! += g * g;
      squares[2]! += b * b;
      const hi = Math.max(r, g, b);
      const lo = Math.min(r, g, b);
      if (hi > 0) saturation += (hi - lo) / hi;
      if (lo >= 230) white++;
      if (hi <= 25) black++;
      const l = luma(rgb, p);
      minLuma = Math.min(minLuma, l);
      maxLuma = Math.max(maxLuma, l);
      if (x + 1 < x0 + CELL) dx += Math.abs(luma(rgb, p + 3) - l);
      if (y + 1 < y0 + CELL) dy += Math.abs(luma(rgb, p + size * 3) - l);
    }
  }
  const n = CELL * CELL;
  const pairs = CELL * (CELL - 1);
  const mean = sum.map((s) => s / n);
  const std = squares.map((q, c) => Math.sqrt(Math.max(0, q / n - mean[c]! ** 2)));
  return [
    ...mean.map((m) => m / 255),
    ...std.map((s) => s / 255),
    saturation / n,
    dx / pairs / 255,
    dy / pairs / 255,
    white / n,
    black / n,
    (maxLuma - minLuma) / 255,
  ];
}
