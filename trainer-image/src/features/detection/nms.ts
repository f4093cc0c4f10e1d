// Greedy class-agnostic non-maximum suppression: regions for a vision-language model should cover distinct areas.

/** Box as x1, y1, x2, y2. */
export type Box = readonly [number, number, number, number];

export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/**
 * Indices of the kept boxes, best score first (ties: lower index first), at most `limit`.
 * A box is dropped when its IoU with a kept box is above `threshold`.
 */
export function nonMaxSuppression(boxes: Box[], scores: number[], threshold: number, limit: number): number[] {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const kept: number[] = [];
  for (const i of order) {
    if (kept.length >= limit) break;
    if (kept.every((k) => iou(boxes[k]!, boxes[i]!) <= threshold)) kept.push(i);
  }
  return kept;
}
