// Captions for a list of images through the caption cache, batched like feature extraction.
import { collectInOrder, runCachedBatches, type BatchStats, type ImageSource } from "../features/batch-pipeline.ts";
import type { Captioner } from "./blip-captioner.ts";
import { CaptionCache } from "./caption-cache.ts";

/** Captions in input order. memeops tokenizes text and caption as a BERT pair; nothing is joined here. */
export async function captionWithCache(
  captioner: Captioner,
  cache: CaptionCache,
  images: readonly ImageSource[],
  batchSize: number,
): Promise<BatchStats & { captions: string[] }> {
  const collected = collectInOrder<string>(images.length);
  const keyOf = (image: ImageSource) => CaptionCache.key(image.sha256, captioner.fingerprint);
  const stats = await runCachedBatches<string>({
    images,
    batchSize,
    lookup: async (image) => cache.get(keyOf(image)),
    compute: (decoded) => captioner.caption(decoded),
    store: (image, caption) => cache.put(keyOf(image), caption),
    emit: collected.emit,
  });
  return { ...stats, captions: collected.values };
}
