// Detectors may find fewer objects than the experiment's region count; the rest are padding. Extractors that pad
// return `realRegions` alongside the contract's fields, and the feature cache keeps it, so the trainer can mask.
import type { RegionFeatures } from "./extractor.ts";

export interface CountedRegionFeatures extends RegionFeatures {
  /** Regions that are real detections; rows from realRegions to regions-1 are padding. */
  realRegions: number;
}

export function withRealRegions(value: RegionFeatures): CountedRegionFeatures {
  const reported = (value as Partial<CountedRegionFeatures>).realRegions;
  return { ...value, realRegions: typeof reported === "number" ? reported : value.regions };
}
