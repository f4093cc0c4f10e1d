// The features step: decoded images in, one RegionFeatures or one reason per image out. It only needs a
// FeatureExtractor (whatever features/registry.ts builds, cached or not), so the prepare stage works the same with
// any extractor. A failed batch is retried image by image, so one bad image costs only itself; an output that is
// the wrong size or not finite is a failure too. Nothing here ever fills in zeros. A detector may find fewer boxes
// than `regions`, either returning fewer rows or padding them and saying how many are real (`realRegions`, see
// features/region-count.ts): both are accepted and masked in the prepared dataset; no real region at all is not.
import type { DecodedImage, FeatureExtractor, RegionFeatures } from "../features/extractor.ts";

export type FeatureResult = { ok: true; regions: RegionFeatures } | { ok: false; reason: string };

export async function extractFeatures(images: DecodedImage[], extractor: FeatureExtractor, expectedRegions: number): Promise<FeatureResult[]> {
  if (images.length === 0) return [];
  try {
    const out = await extractor.extract(images);
    if (out.length !== images.length) throw new Error(`${extractor.name} returned ${out.length} results for ${images.length} images`);
    return out.map((r) => checkFeatures(r, extractor, expectedRegions));
  } catch (err) {
    if (images.length === 1) return [{ ok: false, reason: `feature extraction failed: ${(err as Error).message}` }];
    const one: FeatureResult[] = [];
    // one at a time: an extractor (an ONNX session) need not accept concurrent calls
    for (const image of images) one.push(...(await extractFeatures([image], extractor, expectedRegions)));
    return one;
  }
}

function checkFeatures(r: RegionFeatures, extractor: FeatureExtractor, regions: number): FeatureResult {
  const fail = (why: string): FeatureResult => ({ ok: false, reason: `feature extraction failed: ${extractor.name} ${why}` });
  if (r.regions < 1 || r.regions > regions) return fail(`returned ${r.regions} regions, expected 1 to ${regions}`);
  const real = realRegions(r);
  if (real < 1 || real > r.regions) return fail(`found ${real} real regions of ${r.regions}`);
  if (r.dim !== extractor.dim) return fail(`returned dimension ${r.dim}, expected ${extractor.dim}`);
  if (r.features.length !== r.regions * r.dim || r.boxes.length !== r.regions * 5) return fail("returned arrays of the wrong length");
  if (!r.features.every(Number.isFinite) || !r.boxes.every(Number.isFinite)) return fail("returned non-finite values");
  return { ok: true, regions: r };
}

/** How many of the returned regions are real; the rest are padding. */
export const realRegions = (r: RegionFeatures): number => (r as RegionFeatures & { realRegions?: number }).realRegions ?? r.regions;
