// One feature vector per box from a [C, H, W] map: the mean of torchvision's RoIAlign output
// (output 7x7, sampling_ratio 2, aligned=True), i.e. the mean of 14x14 bilinear samples spread over the box.
// The samples are folded into one weight per map pixel first, so the channel loop is a short dot product.

export interface FeatureMap {
  data: Float32Array;
  offset: number;
  channels: number;
  height: number;
  width: number;
}

const SAMPLES = 14;

/** `box` in map pixels before alignment, i.e. input pixels times the map's spatial scale. */
export function roiMean(map: FeatureMap, box: readonly [number, number, number, number]): Float32Array {
  const { data, offset, channels, height, width } = map;
  const [x1, y1, x2, y2] = [box[0] - 0.5, box[1] - 0.5, box[2] - 0.5, box[3] - 0.5];
  const weights = new Float64Array(height * width);
  let minY = height;
  let maxY = -1;
  let minX = width;
  let maxX = -1;
  const total = SAMPLES * SAMPLES;
  for (let iy = 0; iy < SAMPLES; iy++) {
    const sy = y1 + ((iy + 0.5) * (y2 - y1)) / SAMPLES;
    const ys = bilinearTaps(sy, height);
    if (!ys) continue;
    for (let ix = 0; ix < SAMPLES; ix++) {
      const sx = x1 + ((ix + 0.5) * (x2 - x1)) / SAMPLES;
      const xs = bilinearTaps(sx, width);
      if (!xs) continue;
      for (const [y, wy] of ys) {
        for (const [x, wx] of xs) {
          weights[y * width + x]! += (wy * wx) / total;
          minY = Math.min(minY, y);
          maxY = Math.max(maxY, y);
          minX = Math.min(minX, x);
          maxX = Math.max(maxX, x);
        }
      }
    }
  }
  const out = new Float32Array(channels);
  const plane = height * width;
  for (let c = 0; c < channels; c++) {
    const base = offset + c * plane;
    let sum = 0;
    for (let y = minY; y <= maxY; y++) {
      for (let x = minX; x <= maxX; x++) sum += weights[y * width + x]! * data[base + y * width + x]!;
    }
    out[c] = sum;
  }
  return out;
}

/** torchvision's bilinear_interpolate along one axis: (index, weight) pairs, or undefined outside the map. */
function bilinearTaps(v: number, size: number): [number, number][] | undefined {
  if (v < -1 || v > size) return undefined;
  let p = Math.max(v, 0);
  let low = Math.floor(p);
  let high: number;
  if (low >= size - 1) {
    low = high = size - 1;
    p = low;
  } else {
    high = low + 1;
  }
  const frac = p - low;
  return [
    [low, 1 - frac],
    [high, frac],
  ];
}
