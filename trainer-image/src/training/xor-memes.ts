// A toy in-memory meme set for the determinism/resume tests and the benchmarks, shaped like `memeops data synth`
// read through the pixels extractor: a 4x4 grid of regions with 12 patch statistics each, and 16 BERT token ids
// per text. As in that generator, the label is the XOR of a visual attribute (a big 3x3-cell shape is warm or cool)
// and a textual attribute (here: a marker token is present or not), and memes come in groups of four that share
// the background, the shape's place and the sentence, and take every (visual, textual) combination: each
// attribute alone agrees with the label half of the time, so only a model that fuses both modalities can beat
// chance. The learning proof trains on the real generator instead (test/unit/training/learning-proof.test.ts).
import type { Batch, Dims } from "../common/batch.ts";
import { InMemoryBatchSource } from "./memory-source.ts";
import { mulberry32 } from "../common/rng.ts";

export const XOR_DIMS: Dims = { T: 16, R: 16, D: 12 };
const CLS = 101;
const SEP = 102;
const FILLER = { first: 2000, count: 20 };
const MARKER = 4000;
const WARM = [0.9, 0.3, 0.1];
const COOL = [0.1, 0.3, 0.9];

export interface XorOptions {
  /** number of memes (rounded up to whole groups of four) */
  n: number;
  seed: number;
  /** ablations for the learning proof: all features zero / no words between [CLS] and [SEP] */
  blankImages?: boolean;
  blankText?: boolean;
  /** what the label is; xor unless told (the one-modality rules are sanity checks) */
  rule?: "xor" | "image" | "text";
}

export function xorMemes(o: XorOptions): InMemoryBatchSource {
  const { T, R, D } = XOR_DIMS;
  const side = Math.sqrt(R);
  const n = Math.ceil(o.n / 4) * 4;
  const rand = mulberry32(o.seed);
  const pick = (k: number) => Math.floor(rand() * k);
  const b: Batch = {
    ids: [],
    inputIds: new Int32Array(n * T),
    attentionMask: new Int32Array(n * T),
    tokenTypeIds: new Int32Array(n * T),
    features: new Float32Array(n * R * D),
    boxes: new Float32Array(n * R * 5),
    regionMask: new Int32Array(n * R).fill(1),
    labels: new Int32Array(n),
  };
  for (let g = 0; g < n / 4; g++) {
    // what the group shares
    const background = Float32Array.from({ length: R * D }, () => 0.45 + 0.1 * rand());
    const top = pick(side - 2);
    const left = pick(side - 2);
    const patch = [0, 1, 2].flatMap((dy) => [0, 1, 2].map((dx) => (top + dy) * side + left + dx));
    const words = 4 + pick(T - 7);
    const sentence = Array.from({ length: words }, () => FILLER.first + pick(FILLER.count));
    const keywordAt = pick(words);

    for (const [k, [visual, textual]] of [[0, 0], [0, 1], [1, 0], [1, 1]].entries()) {
      const i = g * 4 + k;
      b.ids.push(String(i).padStart(5, "0"));
      b.labels[i] = o.rule === "image" ? visual! : o.rule === "text" ? textual! : visual! ^ textual!;
      for (let r = 0; r < R; r++) {
        const row = Math.floor(r / side);
        const col = r % side;
        b.boxes.set([col / side, row / side, (col + 1) / side, (row + 1) / side, 1 / R], (i * R + r) * 5);
      }
      if (!o.blankImages) {
        b.features.set(background, i * R * D);
        const colour = visual ? WARM : COOL;
        for (const r of patch) colour.forEach((v, d) => (b.features[(i * R + r) * D + d] = v));
      }
      const body = o.blankText ? [] : sentence.map((w, at) => (at === keywordAt && textual ? MARKER : w));
      [CLS, ...body, SEP].forEach((id, t) => {
        b.inputIds[i * T + t] = id;
        b.attentionMask[i * T + t] = 1;
      });
    }
  }
  return new InMemoryBatchSource(XOR_DIMS, b);
}
