import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FeatureCache } from "../../../trainer-image/src/features/cache/feature-cache.ts";
import { encodeFeatures } from "../../../trainer-image/src/features/cache/feature-file.ts";
import type { FeatureExtractor } from "../../../trainer-image/src/features/extractor.ts";
import { extractToCache, extractWithCache } from "../../../trainer-image/src/features/extract-with-cache.ts";
import { createExtractor } from "../../../trainer-image/src/features/registry.ts";
import { runChild } from "./child/run.ts";
import { sampleFeatures } from "./child/sample-features.ts";
import { bytesOf, sourceOf, testImages } from "./helpers.ts";

const newCache = () => new FeatureCache(mkdtempSync(join(tmpdir(), "memeops-fcache-")));
const KEY = FeatureCache.key("ab".repeat(32), "pixels|regions=36|v1");

/** Wraps an extractor to count the images it really processes. */
async function counting(regions = 4) {
  const inner = await createExtractor("pixels", { regions });
  const seen: string[] = [];
  const extractor: FeatureExtractor = { ...inner, extract: (images) => (seen.push(...images.map((i) => i.sha256)), inner.extract(images)) };
  return { extractor, seen };
}

describe("FeatureCache", () => {
  it("stores features, boxes and the real-region count in a sharded file", async () => {
    const cache = newCache();
    const value = sampleFeatures(36, 2048, 30);
    expect(await cache.lookup(KEY)).toEqual({ status: "miss" });
    await cache.put(KEY, value);
    const read = await cache.get(KEY);
    expect(read).toMatchObject({ regions: 36, dim: 2048, realRegions: 30 });
    expect(bytesOf(read!).equals(bytesOf(value))).toBe(true);
    expect(cache.pathOf(KEY)).toBe(join(cache.root, KEY.slice(0, 2), `${KEY}.mmfc`));
    expect(readFileSync(cache.pathOf(KEY)).length).toBe(32 + 4 * 36 * (2048 + 5));
  });

  it("detects truncated, altered and foreign files and never returns them", async () => {
    const cache = newCache();
    const good = encodeFeatures(sampleFeatures(4, 8));
    const damage: [string, Buffer, RegExp][] = [
      ["truncated", good.subarray(0, good.length - 4), /bytes, expected/],
      ["bit flip in the payload", Buffer.from(good).fill(7, 100, 101), /checksum/],
      ["not a cache file", Buffer.from("hello world, this is not a feature file at all"), /magic/],
      ["empty", Buffer.alloc(0), /shorter than the header/],
    ];
    for (const [what, bytes, reason] of damage) {
      await cache.put(KEY, sampleFeatures(4, 8));
      writeFileSync(cache.pathOf(KEY), bytes);
      const found = await cache.lookup(KEY);
      expect(found.status, what).toBe("corrupt");
      expect(found.status === "corrupt" && found.reason, what).toMatch(reason);
      expect(await cache.get(KEY)).toBeUndefined();
    }
  });

  it("stays valid while several processes write the same key", async () => {
    const cache = newCache();
    const writers = Array.from({ length: 4 }, () => runChild("cache-writer.ts", [cache.root, KEY, "15"]));
    let reads = 0;
    let settled = false;
    const all = Promise.all(writers).finally(() => (settled = true));
    while (!settled) {
      const found = await cache.lookup(KEY);
      expect(found.status).not.toBe("corrupt");
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    for (const { code, output } of await all) expect(code, output).toBe(0);
    expect(bytesOf((await cache.get(KEY))!).equals(bytesOf(sampleFeatures(36, 2048)))).toBe(true);
    expect(readdirSync(join(cache.root, KEY.slice(0, 2)))).toEqual([`${KEY}.mmfc`]); // no temp files left
    expect(reads).toBeGreaterThan(0);
  });
});

describe("extractWithCache", () => {
  it("misses, then hits without running the extractor; duplicates are extracted once", async () => {
    const cache = newCache();
    const images = testImages(3).map(sourceOf);
    const { extractor, seen } = await counting();
    const first = await extractWithCache(extractor, cache, [...images, images[0]!], 2);
    expect([first.hits, first.misses, first.corrupt, seen.length]).toEqual([0, 3, 0, 3]);
    const second = await extractWithCache(extractor, cache, images, 2);
    expect([second.hits, second.misses, seen.length]).toEqual([3, 0, 3]);
    second.features.forEach((f, i) => expect(bytesOf(f).equals(bytesOf(first.features[i]!))).toBe(true));
    expect(bytesOf(first.features[3]!).equals(bytesOf(first.features[0]!))).toBe(true);
    expect(second.features.every((f) => f.realRegions === f.regions)).toBe(true);
  });

  it("recomputes a corrupt cache file and rewrites it", async () => {
    const cache = newCache();
    const images = testImages(2).map(sourceOf);
    const { extractor, seen } = await counting();
    const clean = await extractWithCache(extractor, cache, images, 8);
    const path = cache.pathOf(FeatureCache.key(images[1]!.sha256, extractor.fingerprint));
    writeFileSync(path, readFileSync(path).subarray(0, 50));
    const again = await extractWithCache(extractor, cache, images, 8);
    expect([again.hits, again.misses, again.corrupt]).toEqual([1, 1, 1]);
    expect(seen).toEqual([images[0]!.sha256, images[1]!.sha256, images[1]!.sha256]);
    expect(bytesOf(again.features[1]!).equals(bytesOf(clean.features[1]!))).toBe(true);
    expect((await cache.lookup(FeatureCache.key(images[1]!.sha256, extractor.fingerprint))).status).toBe("hit");
  });

  it("caches nothing when the extractor fails or returns non-finite values", async () => {
    const cache = newCache();
    const images = testImages(2).map(sourceOf);
    const inner = await createExtractor("pixels", { regions: 4 });
    const failing: FeatureExtractor = { ...inner, extract: async () => Promise.reject(new Error("onnx exploded")) };
    await expect(extractToCache(failing, cache, images, { batchSize: 1 })).rejects.toThrow("onnx exploded");
    const nan: FeatureExtractor = {
      ...inner,
      extract: async (imgs) => (await inner.extract(imgs)).map((f) => ({ ...f, features: f.features.map(() => Number.NaN) })),
    };
    await expect(extractToCache(nan, cache, images, { batchSize: 2 })).rejects.toThrow(/non-finite value/);
    for (const image of images) expect(await cache.get(FeatureCache.key(image.sha256, inner.fingerprint))).toBeUndefined();
  });
});
