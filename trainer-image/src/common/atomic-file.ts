// Write a file so that readers (other processes included) see the old file, the whole new one, or none: a temp file
// in the same directory, fsynced, then renamed over the destination.
import { randomBytes } from "node:crypto";
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export async function writeFileAtomic<T>(dest: string, write: (file: FileHandle) => Promise<T>): Promise<T> {
  const temp = join(dirname(dest), `.${basename(dest)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const file = await open(temp, "wx");
  try {
    const result = await write(file);
    await file.sync();
    await file.close();
    await rename(temp, dest);
    return result;
  } catch (error) {
    await file.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
}
