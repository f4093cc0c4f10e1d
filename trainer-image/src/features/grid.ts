// Square grids of regions: the cells' boxes, and PyTorch-style adaptive average pooling of a feature map onto them.

/** sqrt(regions), or an error when regions is not a perfect square. */
export function gridSide(regions: number, extractor: string): number {
  const side = Math.round(Math.sqrt(regions));
  if (side < 1 || side * side !== regions) {
    throw new Error(`${extractor}: regions must be a perfect square (a side x side grid), got ${regions}`);
  }
  return side;
}

/** [side*side, 5] boxes of the cells, row-major (row 0 = top). */
export function gridBoxes(side: number): Float32Array {
  const boxes = new Float32Array(side * side * 5);
  const area = 1 / (side * side);
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      boxes.set([col / side, row / side, (col + 1) / side, (row + 1) / side, area], (row * side + col) * 5);
    }
  }
  return boxes;
}

/** A [C, H, W] map inside a larger buffer, described by strides so NCHW maps and [tokens, C] grids share code. */
export interface MapView {
  data: Float32Array;
  offset: number;
  channels: number;
  height: number;
  width: number;
  channelStride: number;
  rowStride: number;
  colStride: number;
}

/**
 * torch.nn.AdaptiveAvgPool2d(side): cell i covers rows floor(i*H/side) .. ceil((i+1)*H/side) - 1 (likewise columns).
 * Returns [side*side, C], row-major cells, one feature vector per cell.
 */
export function adaptiveAvgPool(map: MapView, side: number): Float32Array {
  const { data, offset, channels, height, width, channelStride, rowStride, colStride } = map;
  const window = (i: number, size: number) => [Math.floor((i * size) / side), Math.ceil(((i + 1) * size) / side)] as const;
  const rows = Array.from({ length: side }, (_, i) => window(i, height));
  const cols = Array.from({ length: side }, (_, i) => window(i, width));
  const out = new Float32Array(side * side * channels);
  // Channel-outer: each channel's plane is read while it is in cache (2048 planes of 7x7 for ResNet).
  for (let c = 0; c < channels; c++) {
    const base = offset + c * channelStride;
    for (let row = 0; row < side; row++) {
      const [y0, y1] = rows[row]!;
      for (let col = 0; col < side; col++) {
        const [x0, x1] = cols[col]!;
        let sum = 0;
        for (let y = y0; y < y1; y++) {
          for (let x = x0; x < x1; x++) sum += data[base + y * rowStride + x * colStride]!;
        }
        out[(row * side + col) * channels + c] = sum / ((y1 - y0) * (x1 - x0));
      }
    }
  }
  return out;
}
