// Atomic file and directory writes: write under a temporary name in the same directory, fsync, then rename.
// A reader (or a resumed run after SIGKILL) sees the old version or the new one, never half a file.
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join, basename } from "node:path";

// Unique per process and per call: several processes (or concurrent writes in one) may write the same destination,
// e.g. two trainers filling one feature cache.
const tempName = (path: string) => join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempName(path);
  const handle = await open(temp, "wx");
  try {
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    await rename(temp, path);
  } catch (e) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw e;
  }
}

/** Fills a fresh directory through `fill(tempDir)` and renames it to `path` (which must not exist yet). */
export async function writeDirAtomic(path: string, fill: (dir: string) => Promise<void>): Promise<void> {
  const temp = tempName(path);
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  try {
    await fill(temp);
    await rm(path, { recursive: true, force: true }); // a leftover from a run killed after this rename's twin
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw e;
  }
}
