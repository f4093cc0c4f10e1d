// `memeops data synth`: a synthetic meme dataset in the Hateful Memes layout (img/*.png, train/validation/test
// .jsonl), deterministic by seed, byte-identical across runs. Its label is the XOR of a visual attribute (the big
// shape is warm or cool) and a textual attribute (the keyword is an animal or a food). Memes come in groups of
// four that share a scene and a sentence and take every (visual, textual) combination: the same text with the
// other image flips the label, and so does the same image with the other keyword (the benign confounders of the
// real dataset). Within a group each attribute alone agrees with the label half of the time, so a unimodal model
// stays at chance while a fused one can reach AUROC 1. Groups never straddle splits.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { ID_DIGITS } from "../ids.ts";
import { mapLimit } from "../map-limit.ts";
import { Random } from "./random.ts";
import { randomScene, renderScene, type Scene } from "./scene.ts";
import { KEYWORDS, randomSentence, writeSentence } from "./sentences.ts";

export const SYNTH_VERSION = 1;
const SPLIT_SHARES = { train: 0.7, validation: 0.15, test: 0.15 } as const;
type SynthSplit = keyof typeof SPLIT_SHARES;

export interface SynthOptions {
  n: number;
  seed: number;
  imageSize: number;
}

export interface SynthMeme {
  id: number;
  img: string;
  text: string;
  label: 0 | 1;
  split: SynthSplit;
  /** 1 when the big shape is warm. */
  visual: 0 | 1;
  /** 1 when the keyword is a food. */
  textual: 0 | 1;
  /** Index of its group in `scenes`; the picture is the group's scene drawn warm or cool. */
  group: number;
}

const COMBOS: ReadonlyArray<readonly [0 | 1, 0 | 1]> = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];

/** The memes and their groups' scenes, without drawing or touching the disk. */
export function planSynthetic({ n, seed }: Pick<SynthOptions, "n" | "seed">): { memes: SynthMeme[]; scenes: Scene[] } {
  const rng = new Random(seed);
  const groups = Math.ceil(n / 4);
  const splitOf = assignSplits(groups, rng);
  const ids = rng.shuffle(Array.from({ length: n }, (_, i) => i + 1));
  const memes: SynthMeme[] = [];
  const scenes: Scene[] = [];
  for (let g = 0; g < groups; g++) {
    scenes.push(randomScene(rng));
    const sentence = randomSentence(rng);
    const keywords = [rng.pick(KEYWORDS[0]), rng.pick(KEYWORDS[1])] as const;
    // A partial last group takes a random subset of the combinations.
    const combos = rng.shuffle([...COMBOS]).slice(0, Math.min(4, n - 4 * g));
    for (const [visual, textual] of combos) {
      const id = ids[memes.length] as number;
      memes.push({
        id,
        img: `img/${String(id).padStart(ID_DIGITS, "0")}.png`,
        text: writeSentence(sentence, keywords[textual]),
        label: (visual ^ textual) as 0 | 1,
        split: splitOf[g] as SynthSplit,
        visual,
        textual,
        group: g,
      });
    }
  }
  return { memes, scenes };
}

function assignSplits(groups: number, rng: Random): SynthSplit[] {
  const order = rng.shuffle(Array.from({ length: groups }, (_, i) => i));
  // validation and test get at least one group each (the smallest dataset, 16 memes, has 4 groups)
  const nVal = Math.max(1, Math.round(groups * SPLIT_SHARES.validation));
  const nTest = Math.max(1, Math.round(groups * SPLIT_SHARES.test));
  const nTrain = groups - nVal - nTest;
  const out = new Array<SynthSplit>(groups);
  order.forEach((g, rank) => (out[g] = rank < nTrain ? "train" : rank < nTrain + nVal ? "validation" : "test"));
  return out;
}

/** Write the dataset to `out`; returns the memes written. */
export async function writeSynthetic(out: string, options: SynthOptions): Promise<SynthMeme[]> {
  const { memes, scenes } = planSynthetic(options);
  await mkdir(join(out, "img"), { recursive: true });
  const byGroup = new Map<number, SynthMeme[]>();
  for (const m of memes) byGroup.set(m.group, [...(byGroup.get(m.group) ?? []), m]);
  // Group by group: each picture is drawn and encoded once for the two memes that show it, and only a few
  // groups' pictures are in memory at a time (a million memes would not fit otherwise).
  await mapLimit(scenes, 4, async (scene, g) => {
    const png = await Promise.all([false, true].map((warm) => encodePng(renderScene(scene, warm, options.imageSize), options.imageSize)));
    for (const m of byGroup.get(g) ?? []) await writeFile(join(out, m.img), png[m.visual] as Buffer);
  });
  for (const split of Object.keys(SPLIT_SHARES) as SynthSplit[]) {
    const lines = memes
      .filter((m) => m.split === split)
      .sort((a, b) => a.id - b.id)
      .map((m) => JSON.stringify({ id: m.id, img: m.img, label: m.label, text: m.text }));
    await writeFile(join(out, `${split}.jsonl`), lines.length ? `${lines.join("\n")}\n` : "");
  }
  const about = { generator: "memeops data synth", version: SYNTH_VERSION, ...options, rule: "label = warm shape XOR food keyword" };
  await writeFile(join(out, "synth.json"), `${JSON.stringify(about, null, 2)}\n`);
  return memes;
}

const encodePng = (rgb: Buffer, size: number) =>
  sharp(rgb, { raw: { width: size, height: size, channels: 3 } }).png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer();
