// The prepare stage on a directory in the real layout: what it writes, what it reports, when it refuses.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openPreparedSplit, readPreparedManifest } from "../../../trainer-image/src/data/prepared.ts";
import { formatPrepareReport, prepare, type PrepareReport } from "../../../trainer-image/src/stages/prepare.ts";
import { gridMeanExtractor } from "./fixtures/fake-extractor.ts";
import * as make from "./fixtures/images.ts";
import { hatefulMemesFiles, writeFiles } from "./fixtures/layout.ts";
import { specWith } from "./fixtures/spec.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-prepare-"));
const data = join(tmp, "data");
const storageDir = join(tmp, "storage");

beforeAll(async () => {
  const files = await hatefulMemesFiles();
  // odd images in place of three of the train images; the red of 10004 makes the fake extractor fail on it
  files.set("img/01235.png", await make.jpeg(40, 30));
  files.set("img/42953.png", await make.truncatedPng());
  files.set("img/10004.png", await make.png(20, 20, [123, 1, 1]));
  files.set("img/20001.png", await make.png(1, 1));
  await writeFiles(data, files);
});

const directory = (path = data) => ({ directory: { path } });

describe("prepare (directory source)", () => {
  let report: PrepareReport;
  const extractor = gridMeanExtractor({ regions: 4, failOnRed: 123 });

  beforeAll(async () => {
    report = await prepare(specWith(directory()), { workDir: join(tmp, "w1"), storageDir, extractor });
  });

  it("drops every unusable item with its reason, and keeps the rest in source order", async () => {
    expect(report.dropped.map((d) => [d.split, d.id, d.reason.replace(/: .*/, ":…")])).toEqual([
      ["train", "10002", "duplicate id with different content (first at train.jsonl:4)"],
      ["train", "42953", "image does not decode:…"],
      ["train", "10003", "image missing:…"],
      ["train", "10004", "feature extraction failed:…"],
      ["validation", "20001", "image too small:…"],
      ["test", "10004", "feature extraction failed:…"], // the same image as train's 10004
    ]);
    expect(report.dropped.find((d) => d.id === "10003")?.reason).toBe(`image missing: ${join(data, "img/10003.png")}`);
    expect(report.dropped.find((d) => d.id === "10004")?.reason).toMatch(/^feature extraction failed: cannot process image/);
    const train = await openPreparedSplit(report.output, "train");
    expect(train.items.map((i) => i.id)).toEqual(["01235", "10001", "10002"]);
    await train.close();
  });

  it("writes token ids, masks, labels and features row-aligned with items.jsonl", async () => {
    const train = await openPreparedSplit(report.output, "train");
    expect(train.inputIds.header.shape).toEqual([3, 16]);
    expect(train.features?.header.shape).toEqual([3, 4, 3]);
    expect(train.boxes?.header.shape).toEqual([3, 4, 5]);
    const first = train.items[0]!;
    expect(first).toMatchObject({ id: "01235", label: 0, text: "when you finally find the remote", image: { format: "jpeg", width: 40, height: 30 } });
    const ids = [...(await train.inputIds.read(0, 1))];
    expect(ids.slice(0, first.tokens)).toEqual([101, 2043, 2017, 2633, 2424, 1996, 6556, 102]);
    expect(ids.slice(first.tokens).every((v) => v === 0)).toBe(true);
    expect([...(await train.attentionMask.read(0, 1))].filter(Boolean)).toHaveLength(first.tokens);
    // the first item is a blue JPEG: its grid-mean features say so (and are not zeros)
    const f = await train.features!.read(0, 1);
    expect(f[2]).toBeGreaterThan(0.7);
    expect(f[0]).toBeLessThan(0.25);
    expect([...(await train.regionMask!.read(0, 1))]).toEqual([1, 1, 1, 1]);
    await train.close();
    const manifest = await readPreparedManifest(report.output);
    expect(manifest.features).toEqual({ extractor: "grid-mean", fingerprint: "grid-mean:4", regions: 4, dim: 3 });
    expect(manifest.splits.validation).toEqual({ count: 4, labelled: 4, positives: 2 });
  });

  it("notes what was done to odd images and reports shared ids", () => {
    expect(report.notes).toEqual([{ kind: "jpeg data in a .png file", count: 1, examples: ["train/01235: jpeg data in a .png file"] }]);
    expect(report.sharedIds).toEqual([{ splits: ["train", "test"], count: 1, examples: ["10004"] }]);
  });

  it("formats a report a person can read", () => {
    const text = formatPrepareReport(report);
    expect(text).toMatch(/^prepared 10 memes from .*\/data in \d+\.\d s -> .*\/w1\/prepared$/m);
    expect(text).toContain("  train      3 items (1 positive, 3 labelled) from 8 rows of train.jsonl: 1 duplicates removed, 4 dropped");
    expect(text).toContain("  validation 4 items (2 positive, 4 labelled) from 7 rows of dev_seen.jsonl + dev_unseen.jsonl: 2 duplicates removed, 1 dropped");
    expect(text).toContain("  shared ids: 1 ids in both train and test (e.g. 10004)");
    expect(text).toContain("  dropped 6: 1 duplicate id with different content, 1 image does not decode, 1 image missing, 2 feature extraction failed, 1 image too small");
    expect(text).toMatch(/^ {4}train 10003 \(train\.jsonl:7\): image missing: .*img\/10003\.png$/m);
    expect(text).toContain("  note: 1 x jpeg data in a .png file (e.g. train/01235: jpeg data in a .png file)");
    expect(text).toContain("  features: grid-mean, 4 regions x 3");
    expect(text).toMatch(/^ {2}time: load splits \d+\.\d s, fetch images .*decode .*features .*tokenize .*write/m);
  });

  it("reuses the prepared dataset when nothing changed, and prepares again when an image changed", async () => {
    const same = await prepare(specWith(directory()), { workDir: join(tmp, "w1"), storageDir, extractor });
    expect(same.reused).toBe(true);
    expect(same.fingerprint).toBe(report.fingerprint);
    writeFileSync(join(data, "img/10001.png"), await make.png(32, 24, [1, 2, 3]));
    const changed = await prepare(specWith(directory()), { workDir: join(tmp, "w1"), storageDir, extractor });
    expect(changed.reused).toBe(false);
    expect(changed.fingerprint).not.toBe(report.fingerprint);
  });
});

describe("prepare: splits and options", () => {
  it("a missing optional split is reported; a missing required one is an error listing where it looked", async () => {
    const dir = join(tmp, "no-test");
    const files = await hatefulMemesFiles();
    files.delete("test_seen.jsonl");
    await writeFiles(dir, files);
    const r = await prepare(specWith(directory(dir)), { workDir: join(tmp, "w2"), storageDir, extractor: null });
    expect(r.splits.find((s) => s.role === "test")).toEqual({
      role: "test",
      name: "test",
      missing: true,
      required: false,
      tried: [join(dir, "test.jsonl"), join(dir, "test_seen.jsonl")],
    });
    expect(formatPrepareReport(r)).toContain(`  test       missing: no split "test" (tried ${join(dir, "test.jsonl")}, ${join(dir, "test_seen.jsonl")})`);
    expect(formatPrepareReport(r)).toContain("  features: not extracted: not requested (no extractor)");

    rmSync(join(dir, "dev_unseen.jsonl"));
    await expect(prepare(specWith(directory(dir)), { workDir: join(tmp, "w3"), storageDir, extractor: null })).rejects.toThrow(
      `the validation split (spec.dataset.splits.validation = "validation"), required to train, is not in ${dir}: ` +
        `tried ${join(dir, "validation.jsonl")}, ${join(dir, "dev_seen.jsonl")}, ${join(dir, "dev_unseen.jsonl")}, ${join(dir, "dev.jsonl")}`,
    );
  });

  it("to evaluate, the test split is the required one", async () => {
    const dir = join(tmp, "no-test-eval");
    const files = await hatefulMemesFiles();
    files.delete("test_unseen.jsonl");
    await writeFiles(dir, files);
    const spec = specWith(directory(dir), { mode: "evaluate", model: { initialWeights: { uri: "/models/best.bin" } } });
    await expect(prepare(spec, { workDir: join(tmp, "w2e"), storageDir, extractor: null })).rejects.toThrow(
      `the test split (spec.dataset.splits.test = "test"), required to evaluate, is not in ${dir}`,
    );
  });

  it("a required split with no usable item is an error", async () => {
    const dir = join(tmp, "all-bad");
    const files = await hatefulMemesFiles();
    for (const rel of files.keys()) if (rel.startsWith("img/2")) files.delete(rel);
    await writeFiles(dir, files);
    await expect(prepare(specWith(directory(dir)), { workDir: join(tmp, "w4"), storageDir, extractor: null })).rejects.toThrow(
      /^the validation split of .* has no usable item \(7 rows; 20001: image missing: .*\)$/,
    );
  });

  it("splits named in the spec: a single release file as the validation split", async () => {
    const spec = specWith(directory(), { dataset: { source: directory(), splits: { validation: "dev_seen" } } });
    const r = await prepare(spec, { workDir: join(tmp, "w5"), storageDir, extractor: null });
    expect(r.splits.find((s) => s.role === "validation")).toMatchObject({ files: ["dev_seen.jsonl"], rowsRead: 3, items: 2 });
  });

  it("captions: built from the spec when enabled, cached, and tokenized as the second sequence", async () => {
    const model = join(tmp, "no-blip-here");
    const spec = specWith(directory(), { dataset: { source: directory(), captions: { enabled: true, model } } });
    await expect(prepare(spec, { workDir: join(tmp, "w6"), storageDir, extractor: null })).rejects.toThrow(model);
    let calls = 0;
    const captioner = { fingerprint: "fixed1", caption: async (images: unknown[]) => (calls++, images.map(() => "A  Red\tSquare")) };
    const r = await prepare(spec, { workDir: join(tmp, "w6"), storageDir, extractor: null, captioner });
    // 12 usable items, 11 distinct images (train's 10004 is test's too)
    expect(r.captions).toEqual({ fingerprint: "fixed1", cache: { hits: 1, misses: 11 } });
    expect(calls).toBe(3); // one batch per split
    const again = await prepare(spec, { workDir: join(tmp, "w6b"), storageDir, extractor: null, captioner });
    expect(again.captions?.cache).toEqual({ hits: 12, misses: 0 });
    expect(calls).toBe(3);
    const train = await openPreparedSplit(r.output, "train");
    const item = train.items[0]!;
    expect(item.caption).toBe("a red square");
    const types = [...(await train.tokenTypeIds.read(0, 1))].slice(0, item.tokens);
    expect(types.filter((t) => t === 1)).toHaveLength(4); // "a red square" + [SEP]
    await train.close();
  });

  it.each([
    ["returns fewer rows", { found: 2 }],
    ["pads and says how many are real", { real: 2 }],
  ])("a detector that %s: features padded, region mask says which regions are real", async (_, found) => {
    const r = await prepare(specWith(directory()), {
      workDir: join(tmp, `w7-${Object.keys(found)[0]}`),
      storageDir: join(tmp, `storage-${Object.keys(found)[0]}`),
      extractor: gridMeanExtractor({ regions: 4, ...found }),
    });
    const train = await openPreparedSplit(r.output, "train");
    expect([...(await train.regionMask!.read(0, 1))]).toEqual([1, 1, 0, 0]);
    const f = await train.features!.read(0, 1);
    expect([...f.subarray(0, 6)].every((v) => v > 0)).toBe(true);
    if ("found" in found) expect([...f.subarray(6)]).toEqual([0, 0, 0, 0, 0, 0]);
    await train.close();
  });

  it("features come from the shared feature cache on a second experiment", async () => {
    const extractor = gridMeanExtractor({ regions: 4 });
    const store = join(tmp, "storage-fc");
    const first = await prepare(specWith(directory()), { workDir: join(tmp, "w10"), storageDir: store, extractor });
    const calls = extractor.calls;
    const second = await prepare(specWith(directory(), { training: { maxSequenceLength: 24 } }), { workDir: join(tmp, "w11"), storageDir: store, extractor });
    expect(second.reused).toBe(false);
    // 12 usable items, 11 distinct images (train's 10004 is test's too)
    expect("cache" in first.features && first.features.cache).toEqual({ hits: 1, misses: 11 });
    expect("cache" in second.features && second.features.cache).toEqual({ hits: 12, misses: 0 });
    expect(extractor.calls).toBe(calls);
    expect(formatPrepareReport(second)).toContain("  features: grid-mean, 4 regions x 3, 0 computed, 12 from cache");
  });

  it("storage that cannot be created is an error naming spec.dataset.storage.path", async () => {
    writeFileSync(join(tmp, "a-file"), "");
    await expect(prepare(specWith(directory()), { workDir: join(tmp, "w8"), storageDir: join(tmp, "a-file", "x"), extractor: null })).rejects.toThrow(
      /storage path .*a-file\/x \(spec.dataset.storage.path\) cannot be created/,
    );
  });

  it("the report on disk is the returned one", async () => {
    const r = await prepare(specWith(directory()), { workDir: join(tmp, "w9"), storageDir, extractor: null });
    expect(JSON.parse(readFileSync(join(r.output, "prepare-report.json"), "utf8"))).toEqual(r);
  });
});
