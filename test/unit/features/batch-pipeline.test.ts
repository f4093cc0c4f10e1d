import { describe, expect, it } from "vitest";
import { runCachedBatches, type ImageSource } from "../../../trainer-image/src/features/batch-pipeline.ts";
import type { DecodedImage } from "../../../trainer-image/src/features/extractor.ts";
import { testImages } from "./helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("runCachedBatches", () => {
  it("decodes and computes the next batch while the current one is computed, and emits every index", async () => {
    const images = testImages(6);
    const events: string[] = [];
    const sources: ImageSource[] = images.map((image, i) => ({
      sha256: image.sha256,
      load: async () => {
        events.push(`load ${i}`);
        await sleep(1);
        return image;
      },
    }));
    const emitted: [number, string][] = [];
    const stats = await runCachedBatches<string>({
      images: sources,
      batchSize: 2,
      lookup: async (image) => (image.sha256 === images[2]!.sha256 ? "cached" : undefined),
      compute: async (decoded: DecodedImage[]) => {
        events.push(`compute start ${decoded.length}`);
        await sleep(20);
        events.push("compute end");
        return decoded.map((d) => d.sha256.slice(0, 6));
      },
      store: async () => {},
      emit: (i, value) => void emitted.push([i, value]),
    });
    expect(stats).toEqual({ hits: 1, misses: 5 });
    expect(emitted.sort((a, b) => a[0] - b[0]).map(([i, v]) => (i === 2 ? v : v === images[i]!.sha256.slice(0, 6)))).toEqual([
      true, true, "cached", true, true, true,
    ]);
    // Misses 0,1 | 3,4 | 5: batch 2's decoding and compute start before batch 1's compute ends; one batch ahead only.
    const firstComputeEnd = events.indexOf("compute end");
    expect(events.indexOf("load 3")).toBeLessThan(firstComputeEnd);
    expect(events.lastIndexOf("compute start 2")).toBeLessThan(firstComputeEnd);
    expect(events.indexOf("load 5")).toBeGreaterThan(firstComputeEnd);
  });

  it("refuses an image that decodes to other bytes than its cache key says", async () => {
    const [a, b] = testImages(2);
    await expect(
      runCachedBatches({
        images: [{ sha256: a!.sha256, load: async () => b! }],
        batchSize: 1,
        lookup: async () => undefined,
        compute: async (d) => d,
        store: async () => {},
        emit: () => {},
      }),
    ).rejects.toThrow(/decoded as/);
  });

  it("fails on a decode error, even one in the batch being prefetched", async () => {
    const images = testImages(4);
    const sources: ImageSource[] = images.map((image, i) => ({
      sha256: image.sha256,
      load: async () => (i === 3 ? Promise.reject(new Error("image 3: not a JPEG")) : image),
    }));
    const job = { images: sources, lookup: async () => undefined, compute: async (d: DecodedImage[]) => d, store: async () => {}, emit: () => {} };
    await expect(runCachedBatches({ ...job, batchSize: 2 })).rejects.toThrow("image 3: not a JPEG");
    await expect(runCachedBatches({ ...job, batchSize: 0 })).rejects.toThrow(/batch size/);
  });
});
