// Cache-first batched processing of images, shared by feature extraction and captioning:
// look every distinct image up in a cache; decode the misses in batches, decoding and computing batch k+1 while
// batch k is computed (sharp decodes on libuv threads, resizing runs on worker threads, onnxruntime runs one batch
// at a time) and batch k-1 is written.
import type { DecodedImage } from "./extractor.ts";

/** An image known by the sha256 of its bytes, decoded only when its result is not cached. */
export interface ImageSource {
  sha256: string;
  load(): Promise<DecodedImage>;
}

export interface CachedBatchJob<T> {
  images: readonly ImageSource[];
  batchSize: number;
  lookup(image: ImageSource): Promise<T | undefined>;
  compute(images: DecodedImage[]): Promise<T[]>;
  store(image: ImageSource, value: T): Promise<void>;
  /** Called once per input index (duplicates of an image share one computation). */
  emit(index: number, value: T): void | Promise<void>;
}

/** Counted per distinct image. */
export interface BatchStats {
  hits: number;
  misses: number;
}

const LOOKUP_CONCURRENCY = 8;

export async function runCachedBatches<T>(job: CachedBatchJob<T>): Promise<BatchStats> {
  const { images, batchSize } = job;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  const copies = new Map<string, number[]>();
  images.forEach((image, i) => {
    const seen = copies.get(image.sha256);
    if (seen) seen.push(i);
    else copies.set(image.sha256, [i]);
  });
  const emitAll = async (sha256: string, value: T) => {
    for (const i of copies.get(sha256)!) await job.emit(i, value);
  };

  const firsts = [...copies.values()].map((indices) => indices[0]!);
  const misses: number[] = [];
  await forEachLimited(firsts, LOOKUP_CONCURRENCY, async (i) => {
    const cached = await job.lookup(images[i]!);
    if (cached === undefined) misses.push(i);
    else await emitAll(images[i]!.sha256, cached);
  });
  misses.sort((a, b) => a - b);

  const batches: number[][] = [];
  for (let start = 0; start < misses.length; start += batchSize) batches.push(misses.slice(start, start + batchSize));
  // Batch b+1 is decoded and computed while batch b is still computing: an extractor's CPU work before and after
  // inference (resizing on worker threads, sharp) then overlaps the other batch's inference, which OnnxModel
  // queues one run at a time. Results are still stored and emitted in batch order.
  const start = (batch: number[]) => {
    const done = Promise.all(batch.map((i) => loadChecked(images[i]!))).then(async (decoded) => ({ decoded, values: await job.compute(decoded) }));
    done.catch(() => {}); // awaited below; this only keeps an abandoned prefetch from being "unhandled"
    return done;
  };
  let current = batches.length > 0 ? start(batches[0]!) : undefined;
  // One batch's writes (fsync'd) may still be in flight while the next batch is computed.
  let storing: Promise<unknown> = Promise.resolve();
  for (let b = 0; b < batches.length; b++) {
    const next = b + 1 < batches.length ? start(batches[b + 1]!) : undefined;
    const { decoded, values } = await current!;
    current = next;
    if (values.length !== decoded.length) throw new Error(`computed ${values.length} results for ${decoded.length} images`);
    await storing;
    storing = Promise.all(
      batches[b]!.map(async (i, j) => {
        await job.store(images[i]!, values[j]!);
        await emitAll(images[i]!.sha256, values[j]!);
      }),
    );
    storing.catch(() => {}); // awaited before the next batch's writes and at the end
  }
  await storing;
  return { hits: firsts.length - misses.length, misses: misses.length };
}

/** An emit callback that keeps every result at its input index, for callers that want them all in order. */
export function collectInOrder<T>(count: number): { values: T[]; emit: (index: number, value: T) => void } {
  const values = new Array<T>(count);
  return {
    values,
    emit: (index, value) => {
      values[index] = value;
    },
  };
}

async function loadChecked(source: ImageSource): Promise<DecodedImage> {
  const image = await source.load();
  if (image.sha256 !== source.sha256) {
    throw new Error(`image ${source.sha256} decoded as ${image.sha256}: the cache key would name the wrong image`);
  }
  return image;
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < items.length) await work(items[nextIndex++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
