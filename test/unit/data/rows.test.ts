// Ids, split-file rows, duplicates and ids shared between splits.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dropDuplicates, findSharedIds } from "../../../trainer-image/src/data/dedupe.ts";
import { normaliseId } from "../../../trainer-image/src/data/ids.ts";
import { datasetLayout } from "../../../api/v1alpha1/spec.ts";
import { parseFieldPath, readField } from "../../../trainer-image/src/data/field-path.ts";
import { parseSplitFile, type SourceRow } from "../../../trainer-image/src/data/rows.ts";
import { splitFileCandidates } from "../../../trainer-image/src/data/splits.ts";

describe("normaliseId", () => {
  it("pads numeric ids to 5 digits, as the image names are", () => {
    expect(normaliseId(1235)).toBe("01235");
    expect(normaliseId("1235")).toBe("01235");
    expect(normaliseId("01235")).toBe("01235");
    expect(normaliseId(42953)).toBe("42953");
    expect(normaliseId(1234567)).toBe("1234567");
    expect(normaliseId(" meme-7 ")).toBe("meme-7");
  });

  it("refuses what is not an id", () => {
    for (const bad of [undefined, null, "", "  ", -1, 1.5, Number.NaN, {}, [1]]) expect(normaliseId(bad)).toBeNull();
  });

  it("a number and its string give the same id, and the number survives", () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), (n) => {
        const id = normaliseId(n);
        expect(id).toBe(normaliseId(String(n)));
        expect(id!.length).toBeGreaterThanOrEqual(5);
        expect(Number(id)).toBe(n);
      }),
    );
  });
});

describe("parseSplitFile", () => {
  it("reads rows and names every line it cannot use", () => {
    const content = [
      '{"id":1235,"img":"img/01235.png","label":1,"text":"hello"}',
      "",
      "{not json",
      '{"id":2,"img":"img/00002.png","label":2,"text":"x"}',
      '{"id":3,"img":"../etc/passwd","label":0,"text":"x"}',
      '{"id":4,"img":"img/00004.png","label":0}',
      '{"id":5,"img":"img/00005.png","text":"no label: a test row"}',
      '{"img":"img/00006.png","label":0,"text":"no id"}',
    ].join("\n");
    const { rows, problems } = parseSplitFile(content, "train.jsonl");
    expect(rows).toEqual([
      { id: "01235", img: "img/01235.png", label: 1, text: "hello", where: "train.jsonl:1" },
      { id: "00005", img: "img/00005.png", label: null, text: "no label: a test row", where: "train.jsonl:7" },
    ]);
    expect(problems).toEqual([
      { id: null, where: "train.jsonl:3", reason: "not valid JSON" },
      { id: "00002", where: "train.jsonl:4", reason: 'invalid label 2 in field "label" (expected 0 or 1)' },
      { id: "00003", where: "train.jsonl:5", reason: 'invalid image path "../etc/passwd" in field "img"' },
      { id: "00004", where: "train.jsonl:6", reason: 'no text in field "text"' },
      { id: null, where: "train.jsonl:8", reason: 'invalid id undefined in field "id"' },
    ]);
  });
});

describe("parseSplitFile with a layout", () => {
  const layout = datasetLayout.parse({
    images: "images",
    fields: { image: "image", text: "meta.ocr", label: "labels[0]" },
    labels: { "not harmful": 0, "somewhat harmful": 1, "very harmful": 1 },
  });

  it("reads the fields the layout names, maps the class to the label and keeps the class", () => {
    const content = [
      '{"id":"covid_memes_18","image":"covid_memes_18.png","labels":["somewhat harmful","individual"],"meta":{"ocr":"a\\nb"}}',
      '{"id":"covid_memes_19","image":"covid_memes_19.png","labels":["not harmful"],"meta":{"ocr":"c"}}',
      '{"id":"covid_memes_20","image":"covid_memes_20.png","meta":{"ocr":"unlabelled"}}',
      '{"id":"covid_memes_21","image":"covid_memes_21.png","labels":["very harmful"],"text":"text is not where the layout says"}',
    ].join("\n");
    const { rows, problems } = parseSplitFile(content, "annotations/train.jsonl", layout);
    expect(rows).toEqual([
      { id: "covid_memes_18", img: "images/covid_memes_18.png", text: "a\nb", label: 1, class: "somewhat harmful", where: "annotations/train.jsonl:1" },
      { id: "covid_memes_19", img: "images/covid_memes_19.png", text: "c", label: 0, class: "not harmful", where: "annotations/train.jsonl:2" },
      { id: "covid_memes_20", img: "images/covid_memes_20.png", text: "unlabelled", label: null, where: "annotations/train.jsonl:3" },
    ]);
    expect(problems).toEqual([{ id: "covid_memes_21", where: "annotations/train.jsonl:4", reason: 'no text in field "meta.ocr"' }]);
  });

  it("a class outside the mapping is an error naming the file, the line and the field", () => {
    const content = '{"id":"a","image":"a.png","labels":["not harmful"],"meta":{"ocr":"x"}}\n{"id":"b","image":"b.png","labels":[2],"meta":{"ocr":"x"}}\n';
    expect(() => parseSplitFile(content, "annotations/val.jsonl", layout)).toThrow(
      'annotations/val.jsonl:2: the class "2" in field "labels[0]" (spec.dataset.layout.fields.label) is not in spec.dataset.layout.labels ("not harmful", "somewhat harmful", "very harmful")',
    );
  });
});

describe("readField", () => {
  it("follows names and indexes, and gives undefined where a step is absent", () => {
    const row = { labels: ["very harmful", "society"], meta: { ocr: "x", tags: [{ v: 1 }] } };
    expect(readField(row, parseFieldPath("labels[1]"))).toBe("society");
    expect(readField(row, parseFieldPath("meta.tags[0].v"))).toBe(1);
    expect(readField(row, parseFieldPath("labels[2]"))).toBeUndefined();
    expect(readField(row, parseFieldPath("labels.x"))).toBeUndefined();
    expect(readField(row, parseFieldPath("meta[0]"))).toBeUndefined();
  });
});

const r = (id: string, text: string, label: 0 | 1 | null, where: string): SourceRow => ({ id, img: `img/${id}.png`, text, label, where });

describe("dropDuplicates", () => {
  it("removes identical repeats, counts them, and lists conflicting repeats", () => {
    const out = dropDuplicates([r("1", "a", 0, "f:1"), r("2", "b", 1, "f:2"), r("1", "a", 0, "f:3"), r("2", "b", 0, "f:4"), r("1", "a", 0, "f:5")]);
    expect(out.rows.map((x) => x.where)).toEqual(["f:1", "f:2"]);
    expect(out.duplicates).toBe(2);
    expect(out.conflicts).toEqual([{ id: "2", where: "f:4", reason: "duplicate id with different content (first at f:2)" }]);
  });

  it("validation in the real layout: dev_seen + dev_unseen repeats collapse", () => {
    const seen = ["1", "2", "3", "4", "5"].map((id, i) => r(id, `t${id}`, 0, `dev_seen.jsonl:${i + 1}`));
    const unseen = ["3", "4", "5", "6"].map((id, i) => r(id, `t${id}`, 0, `dev_unseen.jsonl:${i + 1}`));
    const out = dropDuplicates([...seen, ...unseen]);
    expect(out.rows).toHaveLength(6);
    expect(out.duplicates).toBe(3);
  });
});

describe("findSharedIds", () => {
  it("reports each pair of splits sharing ids, with sorted examples", () => {
    const splits = new Map([
      ["train", [r("1", "", 0, ""), r("2", "", 0, ""), r("9", "", 0, "")]],
      ["validation", [r("3", "", 0, "")]],
      ["test", [r("9", "", null, ""), r("2", "", null, ""), r("2", "", null, "")]],
    ]);
    expect(findSharedIds(splits)).toEqual([{ splits: ["train", "test"], count: 2, examples: ["2", "9"] }]);
  });
});

describe("splitFileCandidates", () => {
  it("tries NAME.jsonl, then the files of the original release", () => {
    expect(splitFileCandidates("validation")).toEqual([["validation.jsonl"], ["dev_seen.jsonl", "dev_unseen.jsonl"], ["dev.jsonl"]]);
    expect(splitFileCandidates("test")).toEqual([["test.jsonl"], ["test_seen.jsonl", "test_unseen.jsonl"]]);
    expect(splitFileCandidates("dev_seen")).toEqual([["dev_seen.jsonl"]]);
    expect(splitFileCandidates("val", "annotations")).toEqual([["annotations/val.jsonl"]]);
  });
});
