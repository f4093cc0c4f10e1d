// The prepare stage on a dataset in the HarMeme layout (annotations/ and images/ folders, `labels[0]` holding a
// harm level mapped to the binary label): configuration of the one loader, not a second loader.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openPreparedSplit } from "../../../trainer-image/src/data/prepared.ts";
import { formatPrepareReport, prepare, type PrepareReport } from "../../../trainer-image/src/stages/prepare.ts";
import { gridMeanExtractor } from "./fixtures/fake-extractor.ts";
import { HARMEME_SPLITS, harmemeFiles, harmemeLayout } from "./fixtures/harmeme-layout.ts";
import { writeFiles } from "./fixtures/layout.ts";
import { specWith } from "./fixtures/spec.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-harmeme-"));
const storageDir = join(tmp, "storage");
const harmemeSpec = (path: string, dataset: Record<string, unknown> = {}) =>
  specWith({ directory: { path } }, { dataset: { source: { directory: { path } }, layout: harmemeLayout, splits: { validation: "val" }, maxDroppedFraction: 0.05, ...dataset } });

describe("prepare: the HarMeme layout", () => {
  const data = join(tmp, "harmeme");
  let report: PrepareReport;

  beforeAll(async () => {
    await writeFiles(data, await harmemeFiles());
    report = await prepare(harmemeSpec(data), { workDir: join(tmp, "w1"), storageDir, extractor: gridMeanExtractor({ regions: 4 }) });
  });

  it("reads the split files from annotations/ and the images from images/, every row kept", () => {
    expect(report.dropped).toEqual([]);
    expect(report.splits.map((s) => ("missing" in s ? [s.role, "missing"] : [s.role, s.files, s.items]))).toEqual([
      ["train", ["annotations/train.jsonl"], 12],
      ["validation", ["annotations/val.jsonl"], 6],
      ["test", ["annotations/test.jsonl"], 6],
    ]);
  });

  it("maps the harm level in labels[0] to the binary label and keeps the level as the item's class", async () => {
    const train = await openPreparedSplit(report.output, "train");
    expect(train.items.slice(0, 5).map((i) => [i.id, i.class, i.label, i.image.path])).toEqual([
      ["covid_memes_1", "not harmful", 0, "images/covid_memes_1.png"],
      ["covid_memes_2", "not harmful", 0, "images/covid_memes_2.png"],
      ["covid_memes_3", "somewhat harmful", 1, "images/covid_memes_3.png"],
      ["covid_memes_4", "not harmful", 0, "images/covid_memes_4.png"],
      ["covid_memes_5", "very harmful", 1, "images/covid_memes_5.png"],
    ]);
    expect(train.items[0]?.text).toBe("meme 1 about the virus");
    expect([...(await train.labels.read(0, 6))]).toEqual([0, 0, 1, 0, 1, 1]);
    await train.close();
  });

  it("counts each class per split, and says so in the summary", () => {
    const train = report.splits.find((s) => s.role === "train");
    expect(train && "classes" in train && train.classes).toEqual({ "not harmful": 6, "somewhat harmful": 4, "very harmful": 2 });
    expect(train && "positives" in train && train.positives).toBe(6);
    expect(formatPrepareReport(report)).toContain("             classes: not harmful 6, somewhat harmful 4, very harmful 2");
  });

  it("reports images that two splits share byte for byte under other ids", () => {
    expect(report.sharedImages).toEqual([{ splits: ["train", "test"], count: 1, examples: ["covid_memes_3 = covid_memes_203"] }]);
    expect(formatPrepareReport(report)).toContain("  shared images: 1 images in both train and test, byte for byte (e.g. covid_memes_3 = covid_memes_203)");
  });

  it("a class the mapping lacks stops the run, naming the file, the line and the field", async () => {
    const dir = join(tmp, "unknown-class");
    const files = await harmemeFiles();
    const rows = [...HARMEME_SPLITS.val];
    rows[3] = { ...rows[3]!, labels: ["extremely harmful"] };
    files.set("annotations/val.jsonl", Buffer.from(rows.map((r) => JSON.stringify(r)).join("\n") + "\n"));
    await writeFiles(dir, files);
    await expect(prepare(harmemeSpec(dir), { workDir: join(tmp, "w2"), storageDir, extractor: null })).rejects.toThrow(
      'annotations/val.jsonl:4: the class "extremely harmful" in field "labels[0]" (spec.dataset.layout.fields.label) is not in ' +
        'spec.dataset.layout.labels ("not harmful", "somewhat harmful", "very harmful")',
    );
  });

  it("without the layout, the same files are not found: the Hateful Memes layout stays the default", async () => {
    const spec = specWith({ directory: { path: data } });
    await expect(prepare(spec, { workDir: join(tmp, "w3"), storageDir, extractor: null })).rejects.toThrow(
      `the train split (spec.dataset.splits.train = "train"), required to train, is not in ${data}: tried ${join(data, "train.jsonl")}`,
    );
  });
});

describe("prepare: spec.dataset.maxDroppedFraction", () => {
  const data = join(tmp, "half-mounted");

  beforeAll(async () => {
    // a wrong image mount: most of train's images are not there
    await writeFiles(data, await harmemeFiles((image) => /^covid_memes_([2-9]|1[0-2])\.png$/.test(image)));
  });

  it("a split that loses more than the threshold stops the run before any feature is computed", async () => {
    const extractor = gridMeanExtractor({ regions: 4 });
    // its own storage: the feature cache of the other tests holds these very images
    const run = prepare(harmemeSpec(data), { workDir: join(tmp, "w4"), storageDir: join(tmp, "storage-w4"), extractor });
    await expect(run).rejects.toThrow(
      /^the train split lost 11 of its 12 rows \(91\.7%\), more than spec\.dataset\.maxDroppedFraction = 0\.05; the first: annotations\/train\.jsonl:2: image missing: .*\/images\/covid_memes_2\.png; annotations\/train\.jsonl:3: image missing: .*covid_memes_3\.png;/,
    );
    await expect(run).rejects.toThrow(/Check the dataset path and spec\.dataset\.layout/);
    expect(extractor.calls).toBe(0);
  });

  it("a threshold above the loss lets the run go on, with the drops reported", async () => {
    const r = await prepare(harmemeSpec(data, { maxDroppedFraction: 0.95 }), { workDir: join(tmp, "w5"), storageDir, extractor: null });
    expect(r.splits.find((s) => s.role === "train")).toMatchObject({ items: 1, dropped: 11 });
  });

  it("drops found only when decoding count too", async () => {
    const dir = join(tmp, "broken");
    const files = await harmemeFiles();
    files.set("images/covid_memes_100.png", Buffer.from("not a png"));
    await writeFiles(dir, files);
    await expect(prepare(harmemeSpec(dir), { workDir: join(tmp, "w6"), storageDir, extractor: null })).rejects.toThrow(
      /^the validation split lost 1 of its 6 rows \(16\.7%\), more than spec\.dataset\.maxDroppedFraction = 0\.05; the first: annotations\/val\.jsonl:1: image does not decode/,
    );
    const lenient = await prepare(harmemeSpec(dir, { maxDroppedFraction: 0.2 }), { workDir: join(tmp, "w7"), storageDir, extractor: null });
    expect(lenient.dropped).toHaveLength(1);
  });
});
