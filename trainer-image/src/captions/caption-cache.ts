// Captions by image and captioner, in one append-only ndjson file ({"key":..., "caption":...} per line).
// Each line is appended with a single write on an O_APPEND descriptor, so processes sharing a local volume
// interleave whole lines; a reader skips any line it cannot parse (a crash mid-write) and recaptions that image.
import { createHash } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";

export class CaptionCache {
  private constructor(
    readonly path: string,
    private readonly entries: Map<string, string>,
  ) {}

  static key(imageSha256: string, fingerprint: string): string {
    return createHash("sha256").update(`${imageSha256}\n${fingerprint}`).digest("hex");
  }

  static async open(path: string): Promise<CaptionCache> {
    const entries = new Map<string, string>();
    const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return "";
      throw error;
    });
    for (const line of text.split("\n")) {
      const entry = parseLine(line);
      if (entry) entries.set(entry.key, entry.caption);
    }
    return new CaptionCache(path, entries);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  async put(key: string, caption: string): Promise<void> {
    this.entries.set(key, caption);
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${JSON.stringify({ key, caption })}\n`);
  }
}

function parseLine(line: string): { key: string; caption: string } | undefined {
  if (!line.trim()) return undefined;
  try {
    const parsed = JSON.parse(line) as { key?: unknown; caption?: unknown };
    return typeof parsed.key === "string" && typeof parsed.caption === "string"
      ? { key: parsed.key, caption: parsed.caption }
      : undefined;
  } catch {
    return undefined;
  }
}
