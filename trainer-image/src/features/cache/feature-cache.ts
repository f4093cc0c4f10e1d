// Region features on disk, keyed by image and extractor, shared by experiments and processes.
// Layout: <root>/<first two hex digits of the key>/<key>.mmfc. Files are written atomically (temp file, fsync,
// rename), so readers see the old file, the new file, or none; never a mix.
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../common/atomic-write.ts";
import type { CountedRegionFeatures } from "../region-count.ts";
import { decodeFeatures, encodeFeatures } from "./feature-file.ts";

export type CacheLookup =
  | { status: "hit"; value: CountedRegionFeatures }
  | { status: "miss" }
  | { status: "corrupt"; reason: string };

export class FeatureCache {
  /** Shard directories this instance has made: one mkdir per shard, not per write. */
  private readonly shards = new Set<string>();

  constructor(readonly root: string) {}

  /** sha256 of the image bytes' hash and the extractor's fingerprint. */
  static key(imageSha256: string, fingerprint: string): string {
    return createHash("sha256").update(`${imageSha256}\n${fingerprint}`).digest("hex");
  }

  pathOf(key: string): string {
    if (!/^[a-f0-9]{64}$/.test(key)) throw new Error(`feature cache key must be 64 hex digits, got ${key}`);
    return join(this.root, key.slice(0, 2), `${key}.mmfc`);
  }

  async lookup(key: string): Promise<CacheLookup> {
    let file: Buffer;
    try {
      file = await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { status: "miss" };
      throw error;
    }
    const decoded = decodeFeatures(file);
    return "invalid" in decoded ? { status: "corrupt", reason: decoded.invalid } : { status: "hit", value: decoded };
  }

  /** The cached features, or undefined when absent or invalid (an invalid file is overwritten by the next put). */
  async get(key: string): Promise<CountedRegionFeatures | undefined> {
    const found = await this.lookup(key);
    return found.status === "hit" ? found.value : undefined;
  }

  async put(key: string, value: CountedRegionFeatures): Promise<void> {
    const shard = join(this.root, key.slice(0, 2));
    if (!this.shards.has(shard)) {
      await mkdir(shard, { recursive: true });
      this.shards.add(shard);
    }
    await writeFileAtomic(this.pathOf(key), encodeFeatures(value));
  }
}
