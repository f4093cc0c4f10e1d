// Downloads kept under the storage path, keyed by URL: a hub URL carries the repo and revision
// (`.../resolve/{revision}/{file}`), so a pinned commit is fetched once and reused by every later run. A branch name
// such as `main` is cached as first fetched; pin a commit to be sure what a run used (the report shows the commit
// the hub resolved a branch to). A sidecar `.json` records size and sha256, so a hit is checked without re-reading
// the file, and a file whose recorded sha256 differs from the one asked for is fetched again.
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { downloadFile, type DownloadOptions } from "./download.ts";

export interface CachedFile {
  path: string;
  size: number;
  sha256: string;
  fromCache: boolean;
  repoCommit?: string;
}

export interface CacheStats {
  hits: number;
  misses: number;
  bytesDownloaded: number;
}

interface Sidecar {
  url: string;
  size: number;
  sha256: string;
  repoCommit?: string;
}

export class DownloadCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, bytesDownloaded: 0 };
  // Two rows naming the same image must not write one .part file twice at once.
  private readonly inFlight = new Map<string, Promise<CachedFile>>();

  constructor(
    readonly dir: string,
    private readonly defaults: DownloadOptions = {},
  ) {}

  /** Where `url` lives in the cache: a short hash of the URL, then the file's own name for people reading the disk. */
  pathFor(url: string): string {
    const key = createHash("sha256").update(url).digest("hex");
    const name = basename(new URL(url).pathname).replace(/[^A-Za-z0-9._-]/g, "_").slice(-80) || "file";
    return join(this.dir, key.slice(0, 2), `${key.slice(0, 20)}-${name}`);
  }

  get(url: string, options: DownloadOptions = {}): Promise<CachedFile> {
    const running = this.inFlight.get(url);
    if (running) return running;
    const p = this.fetch(url, { ...this.defaults, ...options }).finally(() => this.inFlight.delete(url));
    this.inFlight.set(url, p);
    return p;
  }

  private async fetch(url: string, options: DownloadOptions): Promise<CachedFile> {
    const path = this.pathFor(url);
    const hit = await this.lookup(url, path, options.sha256);
    if (hit) {
      this.stats.hits++;
      return hit;
    }
    this.stats.misses++;
    await mkdir(join(path, ".."), { recursive: true });
    const result = await downloadFile(url, path, options);
    this.stats.bytesDownloaded += result.size;
    const sidecar: Sidecar = { url, size: result.size, sha256: result.sha256 };
    if (result.repoCommit) sidecar.repoCommit = result.repoCommit;
    await writeFile(`${path}.json`, JSON.stringify(sidecar));
    return { path, ...result, fromCache: false };
  }

  private async lookup(url: string, path: string, sha256?: string): Promise<CachedFile | null> {
    let sidecar: Sidecar;
    try {
      sidecar = JSON.parse(await readFile(`${path}.json`, "utf8")) as Sidecar;
      if (sidecar.url !== url || (await stat(path)).size !== sidecar.size) return null;
    } catch {
      return null;
    }
    if (sha256 && sidecar.sha256 !== sha256.toLowerCase()) {
      await rm(path, { force: true });
      return null;
    }
    return { path, size: sidecar.size, sha256: sidecar.sha256, fromCache: true, ...(sidecar.repoCommit ? { repoCommit: sidecar.repoCommit } : {}) };
  }
}
