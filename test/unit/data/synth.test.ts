// The synthetic dataset: label = visual XOR textual attribute, benign confounders, balanced, deterministic.
// Attributes are measured here from the written files (pixels and words), not taken from the generator.
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../../cli/command.ts";
import { dataCommand } from "../../../cli/commands/data.ts";
import { planSynthetic, writeSynthetic } from "../../../trainer-image/src/data/synth/generate.ts";
import { KEYWORDS } from "../../../trainer-image/src/data/synth/sentences.ts";
import { MemeTokenizer } from "../../../trainer-image/src/text/tokenizer.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-synth-"));
const options = { n: 96, seed: 11, imageSize: 32 };

interface Row {
  id: number;
  img: string;
  label: 0 | 1;
  text: string;
  split: string;
  warm: 0 | 1;
  food: 0 | 1;
  picture: string;
}
let rows: Row[] = [];

/** 4x4 grid of mean colours, as the `pixels` extractor sees an image. */
async function gridMeans(file: string): Promise<number[][]> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const cells: number[][] = [];
  for (let cy = 0; cy < 4; cy++) {
    for (let cx = 0; cx < 4; cx++) {
      const sum = [0, 0, 0];
      let n = 0;
      for (let y = (cy * info.height) / 4; y < ((cy + 1) * info.height) / 4; y++) {
        for (let x = (cx * info.width) / 4; x < ((cx + 1) * info.width) / 4; x++, n++) for (let c = 0; c < 3; c++) sum[c]! += data[(y * info.width + x) * 3 + c]!;
      }
      cells.push(sum.map((s) => s / n));
    }
  }
  return cells;
}

/** Warm when the most colourful patch is redder than it is blue. */
const warmFromPatches = (cells: number[][]) => {
  const best = cells.reduce((a, b) => (Math.abs(b[0]! - b[2]!) > Math.abs(a[0]! - a[2]!) ? b : a));
  return best[0]! > best[2]! ? 1 : 0;
};
const foodFromWords = (text: string) => {
  const words = new Set(text.toLowerCase().match(/[a-z]+/g));
  const animal = KEYWORDS[0].some((w) => words.has(w));
  const food = KEYWORDS[1].some((w) => words.has(w));
  expect(animal !== food).toBe(true); // exactly one keyword class per text
  return food ? 1 : 0;
};
const accuracy = (pred: number[], labels: number[]) => pred.filter((p, i) => p === labels[i]).length / labels.length;

beforeAll(async () => {
  const out = join(tmp, "a");
  await writeSynthetic(out, options);
  for (const split of ["train", "validation", "test"]) {
    for (const line of readFileSync(join(out, `${split}.jsonl`), "utf8").trim().split("\n")) {
      const r = JSON.parse(line) as Omit<Row, "split" | "warm" | "food" | "picture">;
      const file = join(out, r.img);
      const picture = createHash("sha256").update(readFileSync(file)).digest("hex");
      rows.push({ ...r, split, warm: warmFromPatches(await gridMeans(file)), food: foodFromWords(r.text), picture });
    }
  }
  rows = rows.sort((a, b) => a.id - b.id);
});

describe("memeops data synth", () => {
  it("writes n memes with unique ids, zero-padded image names, about 70/15/15", () => {
    expect(rows).toHaveLength(96);
    expect(new Set(rows.map((r) => r.id)).size).toBe(96);
    expect(rows.every((r) => r.img === `img/${String(r.id).padStart(5, "0")}.png`)).toBe(true);
    const count = (s: string) => rows.filter((r) => r.split === s).length;
    expect([count("train"), count("validation"), count("test")]).toEqual([64, 16, 16]);
  });

  it("has balanced labels", () => {
    expect(rows.filter((r) => r.label === 1)).toHaveLength(48);
  });

  it("label = warm XOR food, measured from pixels and words; either alone is at chance", () => {
    const labels = rows.map((r) => r.label);
    expect(accuracy(rows.map((r) => r.warm ^ r.food), labels)).toBe(1);
    expect(accuracy(rows.map((r) => r.warm), labels)).toBe(0.5);
    expect(accuracy(rows.map((r) => r.food), labels)).toBe(0.5);
  });

  it("has benign confounders: the same text with another picture, the same picture with another text, flip the label", () => {
    let sameText = 0;
    let samePicture = 0;
    for (const a of rows) {
      for (const b of rows) {
        if (a.id >= b.id) continue;
        if (a.text === b.text && a.picture !== b.picture) (sameText++, expect(a.label).not.toBe(b.label));
        if (a.picture === b.picture && a.text !== b.text) (samePicture++, expect(a.label).not.toBe(b.label));
      }
    }
    expect(sameText).toBe(48);
    expect(samePicture).toBe(48);
  });

  it("keeps confounders in one split (no picture crosses splits)", () => {
    const splitsOf = (key: (r: Row) => string) => {
      const m = new Map<string, Set<string>>();
      for (const r of rows) m.set(key(r), (m.get(key(r)) ?? new Set()).add(r.split));
      return [...m.values()].every((s) => s.size === 1);
    };
    expect(splitsOf((r) => r.picture)).toBe(true);
  });

  it("is byte-identical for the same seed and different for another", async () => {
    const digest = (dir: string) => {
      const h = createHash("sha256");
      const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
      for (const f of walk(dir).sort()) h.update(f.slice(dir.length)).update(readFileSync(f));
      return h.digest("hex");
    };
    await writeSynthetic(join(tmp, "b"), options);
    await writeSynthetic(join(tmp, "c"), { ...options, seed: 12 });
    expect(digest(join(tmp, "b"))).toBe(digest(join(tmp, "a")));
    expect(digest(join(tmp, "c"))).not.toBe(digest(join(tmp, "a")));
  });

  it("a partial last group keeps labels within one of balanced", () => {
    const { memes } = planSynthetic({ n: 17, seed: 3 });
    expect(memes).toHaveLength(17);
    expect(Math.abs(memes.filter((m) => m.label === 1).length * 2 - 17)).toBe(1);
  });

  it("every text fits a 16-token sequence, so the keyword is never truncated away", async () => {
    const tok = await MemeTokenizer.load();
    const { memes } = planSynthetic({ n: 2000, seed: 5 });
    const longest = Math.max(...memes.map((m) => tok.tokenIds(m.text).length));
    expect(longest).toBeLessThanOrEqual(14);
  });
});

describe("memeops data synth (the command)", () => {
  it("writes the dataset the flags ask for, and refuses bad flags", async () => {
    const out = join(tmp, "cli");
    const log = console.log;
    const printed: string[] = [];
    console.log = (line: string) => printed.push(line);
    try {
      expect(await dataCommand.run(["synth", "--out", out, "--n", "20", "--seed", "4", "--image-size", "16"])).toBe(0);
    } finally {
      console.log = log;
    }
    expect(printed).toEqual([`wrote 20 memes to ${out}: train 12, validation 4, test 4 (seed 4, 16 px)`]);
    expect(JSON.parse(readFileSync(join(out, "synth.json"), "utf8"))).toMatchObject({ n: 20, seed: 4, imageSize: 16 });
    expect((await sharp(join(out, "img", readdirSync(join(out, "img"))[0]!)).metadata()).width).toBe(16);
    await expect(dataCommand.run(["synth", "--n", "20"])).rejects.toThrow(new UsageError("--out DIR is required"));
    await expect(dataCommand.run(["synth", "--out", out, "--n", "8"])).rejects.toThrow("--n must be an integer from 16 to 1000000, got '8'");
    await expect(dataCommand.run(["fetch"])).rejects.toThrow("unknown subcommand 'fetch'");
  });
});
