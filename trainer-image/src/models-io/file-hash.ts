// sha256 of a file, remembered per process while the file is unchanged: extractors put the model hash in their
// cache fingerprint, and rehashing a 240 MB ResNet for every session would cost a second each time.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";

const known = new Map<string, { stamp: string; sha256: string }>();

const stampOf = (s: { size: number; mtimeMs: number; ino: number }) => `${s.size}:${s.mtimeMs}:${s.ino}`;

export async function sha256File(path: string): Promise<string> {
  const before = await stat(path);
  const stamp = stampOf(before);
  const cached = known.get(path);
  if (cached?.stamp === stamp) return cached.sha256;
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  const sha256 = hash.digest("hex");
  known.set(path, { stamp, sha256 });
  return sha256;
}

/** Record a hash computed while the file was written (a download), so the first sha256File is free. */
export async function rememberSha256(path: string, sha256: string): Promise<void> {
  known.set(path, { stamp: stampOf(await stat(path)), sha256 });
}
