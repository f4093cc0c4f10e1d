import type { CountedRegionFeatures } from "../../../../trainer-image/src/features/region-count.ts";

/** Deterministic features of a given shape (the same in every process). */
export function sampleFeatures(regions: number, dim: number, realRegions = regions): CountedRegionFeatures {
  return {
    regions,
    dim,
    realRegions,
    features: Float32Array.from({ length: regions * dim }, (_, i) => Math.sin(i) * 3),
    boxes: Float32Array.from({ length: regions * 5 }, (_, i) => (i % 5) / 5),
  };
}
