// An image archive (tar.gz or zip) at a URL, as the original project used, with a per-image fallback URL
// (`{file}` replaced by the image's file name) for images the archive lacks, and for all of them when the archive
// itself cannot be had. The split files come from inside the archive or, when given, from annotationsUrl: a
// directory URL (`{annotationsUrl}/train.jsonl`) or a pattern with `{file}`.
import { createHash } from "node:crypto";
import { readdir, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { ChecksumError, DownloadError, NotFoundError } from "../download.ts";
import { extractArchive } from "../extract.ts";
import { ProgressMeter } from "../progress.ts";
import { isFile } from "./directory.ts";
import type { DatasetSource, SourceContext } from "./source.ts";

export interface ArchiveSpec {
  url: string;
  sha256?: string;
  annotationsUrl?: string;
  fallbackUrl?: string;
}

const fillFile = (pattern: string, file: string) => pattern.replaceAll("{file}", encodeURIComponent(file));

/** `file` may carry spec.dataset.layout.annotations in front: annotationsUrl names the split files' own place. */
export function annotationUrl(spec: ArchiveSpec, relPath: string): string | undefined {
  if (!spec.annotationsUrl) return undefined;
  const file = basename(relPath);
  return spec.annotationsUrl.includes("{file}")
    ? fillFile(spec.annotationsUrl, file)
    : `${spec.annotationsUrl.replace(/\/+$/, "")}/${encodeURIComponent(file)}`;
}

export function fallbackUrl(spec: ArchiveSpec, relPath: string): string | undefined {
  return spec.fallbackUrl ? fillFile(spec.fallbackUrl, basename(relPath)) : undefined;
}

/** `rootFolders`: the folders whose presence marks the dataset root inside the archive (the layout's image and
 * annotation folders; `img` for Hateful Memes). */
export function archiveSource(spec: ArchiveSpec, ctx: SourceContext, rootFolders: readonly string[] = ["img"]): DatasetSource {
  const notes: string[] = [];
  let unpacked: Promise<string | null> | undefined;
  let fallbacks = 0;

  const root = () => (unpacked ??= unpack(spec, ctx, notes, rootFolders));
  const download = async (url: string, progress?: ProgressMeter) => {
    try {
      return (await ctx.cache.get(url, progress ? { progress } : {})).path;
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  };

  return {
    origin: spec.url,
    async file(relPath, progress) {
      const annotations = relPath.endsWith(".jsonl") ? annotationUrl(spec, relPath) : undefined;
      if (annotations) return download(annotations, progress);
      const dir = await root();
      if (dir && (await isFile(join(dir, relPath)))) return join(dir, relPath);
      const fallback = relPath.endsWith(".jsonl") ? undefined : fallbackUrl(spec, relPath);
      if (!fallback) return null;
      fallbacks++;
      return download(fallback, progress);
    },
    locate(relPath) {
      const annotations = relPath.endsWith(".jsonl") ? annotationUrl(spec, relPath) : undefined;
      return annotations ?? `${spec.url}!/${relPath}${spec.fallbackUrl ? ` or ${fallbackUrl(spec, relPath)}` : ""}`;
    },
    notes: () => [...notes, ...(fallbacks ? [`${fallbacks} images requested from the fallback URL`] : [])],
  };
}

/** Download and unpack the archive once (a marker file says the unpacking finished); null when it is unavailable
 * and a fallback URL can stand in for it. */
async function unpack(spec: ArchiveSpec, ctx: SourceContext, notes: string[], rootFolders: readonly string[]): Promise<string | null> {
  const meter = new ProgressMeter(`archive ${spec.url}`, ctx.log, { singleFile: true });
  let archive;
  try {
    archive = await ctx.cache.get(spec.url, { ...(spec.sha256 ? { sha256: spec.sha256 } : {}), progress: meter });
  } catch (err) {
    // A wrong checksum is not "unavailable": the archive exists and is not the one asked for.
    if (!spec.fallbackUrl || err instanceof ChecksumError || !(err instanceof DownloadError)) throw err;
    notes.push(`archive unavailable (${err.message}): every image from the fallback URL`);
    ctx.log(`archive unavailable, using the per-image fallback: ${err.message}`);
    return null;
  }
  if (!archive.fromCache) meter.finish();
  const dest = join(ctx.workDir, "extracted", createHash("sha256").update(archive.sha256).digest("hex").slice(0, 20));
  const marker = join(dest, ".memeops-extracted");
  if (!(await isFile(marker))) {
    await rm(dest, { recursive: true, force: true });
    ctx.log(`unpacking ${basename(archive.path)} into ${dest}`);
    const format = await extractArchive(archive.path, dest);
    await writeFile(marker, `${format}\n`);
  }
  return findDatasetRoot(dest, rootFolders);
}

/** Archives often wrap the layout in a top folder (`hateful_memes/img/...`): the shallowest directory holding one of
 * `folders` (`img/`; HarMeme's `images/` or `annotations/`) or a split file is the dataset root. */
export async function findDatasetRoot(dir: string, folders: readonly string[] = ["img"], depth = 3): Promise<string> {
  let level = [dir];
  for (let d = 0; d <= depth && level.length; d++) {
    const next: string[] = [];
    for (const current of level.sort()) {
      const entries = await readdir(current, { withFileTypes: true });
      if (entries.some((e) => (e.isDirectory() && folders.includes(e.name)) || (e.isFile() && e.name.endsWith(".jsonl")))) return current;
      next.push(...entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).map((e) => join(current, e.name)));
    }
    level = next;
  }
  return dir;
}
