// Atomic file and directory writes: write under a temporary name in the same directory, fsync, then rename.
// A reader (or a resumed run after SIGKILL) sees the old version or the new one, never half a file.
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join, basename } from "node:path";

const tempName = (path: string) => join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempName(path);
  const handle = await open(temp, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
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
