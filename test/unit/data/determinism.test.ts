// The same spec prepared by two separate processes (own storage, own output) gives byte-identical splits.
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const child = (dir: string) =>
  run(process.execPath, ["--import", "tsx", join(import.meta.dirname, "fixtures/prepare-child.ts"), join(dir, "work"), join(dir, "storage")]).then(
    (r) => JSON.parse(r.stdout) as Record<string, string>,
  );

describe("determinism", () => {
  it("two processes prepare byte-identical splits", async () => {
    const [a, b] = await Promise.all([child(mkdtempSync(join(tmpdir(), "memeops-det-a-"))), child(mkdtempSync(join(tmpdir(), "memeops-det-b-")))]);
    expect(Object.keys(a)).toHaveLength(3 * 8); // items.jsonl + 7 tensor files per split
    expect(a).toEqual(b);
  });
});
