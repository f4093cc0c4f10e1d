// Unpack a tar.gz, tar or zip archive into a directory, format told by its first bytes (a URL's extension lies
// often enough). Entries that would land outside the directory are refused: tar does that itself, zip is checked
// here. Zip is streamed with fflate, so a 4 GB archive is never held in memory.
import { createReadStream } from "node:fs";
import { mkdir, open, writeFile } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import { Unzip, UnzipInflate, UnzipPassThrough } from "fflate";
import { x as untar } from "tar";

export type ArchiveFormat = "tar.gz" | "tar" | "zip";

export async function detectArchiveFormat(file: string): Promise<ArchiveFormat> {
  const fh = await open(file, "r");
  const head = Buffer.alloc(262);
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return "tar.gz";
  if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return "zip";
  if (head.subarray(257, 262).toString("latin1") === "ustar") return "tar";
  throw new Error(`${file}: not a tar.gz, tar or zip archive`);
}

export async function extractArchive(file: string, destDir: string): Promise<ArchiveFormat> {
  const format = await detectArchiveFormat(file);
  await mkdir(destDir, { recursive: true });
  if (format === "zip") await unzipFile(file, destDir);
  else await untar({ file, cwd: destDir, strict: true });
  return format;
}

async function unzipFile(file: string, destDir: string): Promise<void> {
  const root = resolve(destDir);
  const pending: Promise<void>[] = [];
  let failure: Error | undefined;
  const unzip = new Unzip((entry) => {
    if (entry.name.endsWith("/")) return;
    const target = resolve(root, entry.name);
    if (!target.startsWith(root + sep)) {
      failure ??= new Error(`${file}: entry ${JSON.stringify(entry.name)} points outside the archive`);
      return;
    }
    const chunks: Uint8Array[] = [];
    entry.ondata = (err, data, final) => {
      if (err) return void (failure ??= new Error(`${file}: ${entry.name}: ${err.message}`));
      chunks.push(data);
      if (final) pending.push(mkdir(dirname(target), { recursive: true }).then(() => writeFile(target, chunks)));
    };
    entry.start();
  });
  unzip.register(UnzipInflate);
  unzip.register(UnzipPassThrough);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    unzip.push(chunk as Buffer);
    if (failure) throw failure;
    // Files arrive faster than they are written: wait for the writes before reading further.
    await Promise.all(pending.splice(0));
  }
  unzip.push(new Uint8Array(0), true);
  await Promise.all(pending.splice(0));
  if (failure) throw failure;
}
