// A local or mounted directory in the Hateful Memes layout: nothing to fetch, only to find.
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { DatasetSource } from "./source.ts";

export function directorySource(root: string): DatasetSource {
  const base = resolve(root);
  return {
    origin: base,
    async file(relPath) {
      const path = join(base, relPath);
      return (await isFile(path)) ? path : null;
    },
    locate: (relPath) => join(base, relPath),
    notes: () => [],
  };
}

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
