// Pillow's resampling (libImaging/Resample.c) for 8-bit RGB, written out so a model whose reference pipeline is
// torchvision's transforms on PIL images (`Resize` on a PIL image calls `Image.resize`) gets the very same bytes.
// sharp's kernels are different filters (a = -0.5 vs libvips' own cubic, other support and rounding), which moves
// a CNN's features by about 1e-2: far outside what an exported model must reproduce. Pillow's arithmetic is kept
// exactly: double-precision weights, normalised per output pixel, turned into 22-bit fixed point, summed in int32 (as
// Pillow does: Math.imul and |0 keep V8 on integer arithmetic, about 2x faster than the same sums in doubles) with a
// half-unit offset, clipped; two passes in Pillow's order (verticalFirst below), and a pass whose size does not
// change is skipped.

export type PilFilter = "bilinear" | "bicubic";

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

const FILTERS: Record<PilFilter, { support: number; weight: (x: number) => number }> = {
  bilinear: {
    support: 1,
    weight: (x) => {
      const t = Math.abs(x);
      return t < 1 ? 1 - t : 0;
    },
  },
  bicubic: {
    // Keys' cubic with a = -0.5 (Pillow's choice; TensorFlow and OpenCV use -0.75).
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
};

interface Coefficients {
  /** Taps per output pixel (the row stride of `weights`). */
  taps: number;
  /** [out, 2]: first input index, number of inputs used. */
  bounds: Int32Array;
  /** [out, taps]: fixed-point weights. */
  weights: Int32Array;
}

/** precompute_coeffs + normalize_coeffs_8bpc for resizing inSize to outSize over the whole axis. */
function coefficients(inSize: number, outSize: number, filter: PilFilter): Coefficients {
  const { support: baseSupport, weight } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = baseSupport * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * taps);
  const k = new Float64Array(taps);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterScale;
    // C's (int) cast truncates toward zero.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      k[x] = weight((x + xmin - center + 0.5) * ss);
      sum += k[x]!;
    }
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? k[x]! / sum : k[x]!;
      weights[xx * taps + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { taps, bounds, weights };
}

/** Pillow's clip8 on its int32 sums: the sum cannot overflow (|weights| sum to under 2 in 22-bit fixed point, pixels < 256). */
const clip8 = (v: number) => (v >= ONE * 256 ? 255 : v <= 0 ? 0 : v >> PRECISION_BITS);

/** Image.resize((outWidth, outHeight), filter) of an RGB image given as HWC bytes. */
export function pilResizeRgb(rgb: Uint8Array, width: number, height: number, outWidth: number, outHeight: number, filter: PilFilter): Uint8Array {
  if (rgb.length !== width * height * 3) throw new Error(`expected ${width}x${height} RGB, got ${rgb.length} bytes`);
  if (![width, height, outWidth, outHeight].every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`cannot resize ${width}x${height} to ${outWidth}x${outHeight}`);
  }
  const needHorizontal = outWidth !== width;
  const needVertical = outHeight !== height;
  const vertical = coefficients(height, outHeight, filter);
  if (needHorizontal && needVertical && verticalFirst(width, height, outWidth, outHeight)) {
    const rows = verticalPass(rgb, width, outHeight, vertical);
    return horizontal(rows, width, 0, outHeight, outWidth, coefficients(width, outWidth, filter));
  }
  let source = rgb;
  if (needHorizontal) {
    // Only the rows the vertical pass will read.
    const firstRow = vertical.bounds[0]!;
    const lastRow = vertical.bounds[(outHeight - 1) * 2]! + vertical.bounds[(outHeight - 1) * 2 + 1]!;
    source = horizontal(rgb, width, firstRow, lastRow - firstRow, outWidth, coefficients(width, outWidth, filter));
    for (let i = 0; i < outHeight; i++) vertical.bounds[i * 2] = vertical.bounds[i * 2]! - firstRow;
  }
  if (!needVertical) return source === rgb ? rgb.slice() : source;
  return verticalPass(source, outWidth, outHeight, vertical);
}

/**
 * Pillow 13 runs the vertical pass first when the image loses more than twice as many rows as columns (each pass
 * rounds to 8 bits, so the order shows in the bytes). Measured against Pillow 13.0.0 (the exporter's pin) on 300
 * random size pairs with no exception (the Resample.c read while writing this, an older commit, always went
 * horizontal first: the exporter pins Pillow so the reference cannot drift).
 */
function verticalFirst(width: number, height: number, outWidth: number, outHeight: number): boolean {
  return Math.max(0, height - outHeight) > 2 * Math.max(0, width - outWidth);
}

function horizontal(rgb: Uint8Array, width: number, firstRow: number, rows: number, outWidth: number, c: Coefficients): Uint8Array {
  const out = new Uint8Array(outWidth * rows * 3);
  const { taps, bounds, weights } = c;
  for (let y = 0; y < rows; y++) {
    const inRow = (y + firstRow) * width * 3;
    const outRow = y * outWidth * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const n = bounds[xx * 2 + 1]!;
      const k = xx * taps;
      let p = inRow + bounds[xx * 2]! * 3;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let x = 0; x < n; x++, p += 3) {
        const w = weights[k + x]!;
        s0 = (s0 + Math.imul(rgb[p]!, w)) | 0;
        s1 = (s1 + Math.imul(rgb[p + 1]!, w)) | 0;
        s2 = (s2 + Math.imul(rgb[p + 2]!, w)) | 0;
      }
      const o = outRow + xx * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return out;
}

function verticalPass(rgb: Uint8Array, width: number, outHeight: number, c: Coefficients): Uint8Array {
  const stride = width * 3;
  const out = new Uint8Array(outHeight * stride);
  const sums = new Int32Array(stride);
  const { taps, bounds, weights } = c;
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2]!;
    const n = bounds[yy * 2 + 1]!;
    const k = yy * taps;
    sums.fill(HALF);
    // Row-outer so each source row is read contiguously; each sum still adds the same terms in the same order.
    for (let y = 0; y < n; y++) {
      const w = weights[k + y]!;
      const row = (ymin + y) * stride;
      for (let i = 0; i < stride; i++) sums[i] = (sums[i]! + Math.imul(rgb[row + i]!, w)) | 0;
    }
    const outRow = yy * stride;
    for (let i = 0; i < stride; i++) out[outRow + i] = clip8(sums[i]!);
  }
  return out;
}
