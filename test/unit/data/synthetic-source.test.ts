// The synthetic source's generated dataset under a shared storage path: runs that start together (a sweep's parallel
// trials) each get the whole dataset, and an incomplete one left by a run that died is replaced.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { syntheticSource } from "../../../trainer-image/src/data/sources/synthetic.ts";
import type { SourceContext } from "../../../trainer-image/src/data/sources/source.ts";

const options = { n: 32, seed: 5, imageSize: 16 };
const context = (workDir: string) => ({ workDir, log: () => {} }) as unknown as SourceContext;

describe("synthetic source", () => {
  it("four sources generating into one storage path at once all read a complete dataset", async () => {
    const workDir = mkdtempSync(join(tmpdir(), "memeops-synth-shared-"));
    // three more start once the first has begun generating
    const read = async (source: ReturnType<typeof syntheticSource>) => [await source.file("train.jsonl"), await source.file("synth.json")];
    const found: Promise<(string | null)[]>[] = [];
    const startOthers = () => found.push(...[1, 2, 3].map(() => read(syntheticSource(options, context(workDir)))));
    found.push(read(syntheticSource(options, { workDir, log: startOthers } as unknown as SourceContext)));
    await found[0];
    expect(found).toHaveLength(4);
    const files = await Promise.all(found);
    const dir = join(workDir, "synthetic");
    const [published] = readdirSync(dir);
    expect(readdirSync(dir)).toEqual([published]); // no partial directories left behind
    for (const f of files) expect(f).toEqual([join(dir, published!, "train.jsonl"), join(dir, published!, "synth.json")]);
    expect(readdirSync(join(dir, published!, "img"))).toHaveLength(32);
    expect(readFileSync(join(dir, published!, "train.jsonl"), "utf8").trim().split("\n").length).toBeGreaterThan(16);
  });

  it("an incomplete dataset (no completion marker) is replaced by a complete one", async () => {
    const workDir = mkdtempSync(join(tmpdir(), "memeops-synth-stale-"));
    const first = syntheticSource(options, context(workDir));
    const path = first.locate("train.jsonl")!;
    const dir = join(path, "..");
    mkdirSync(join(dir, "img"), { recursive: true });
    writeFileSync(join(dir, "img", "junk.png"), "");
    expect(await first.file("train.jsonl")).toBe(path);
    expect(existsSync(join(dir, "img", "junk.png"))).toBe(false);
    expect(existsSync(join(dir, ".memeops-complete"))).toBe(true);
    expect(readdirSync(join(dir, ".."))).toHaveLength(1);
  });
});
