// `memeops data ...`: dataset tools. The synthetic generator lives in trainer-image/src/data/synth.
import { type Command, parseFlags, UsageError, wantsHelp } from "../command.ts";
import { writeSynthetic } from "../../trainer-image/src/data/synth/generate.ts";

const help = `Usage: memeops data synth --out DIR [--n N] [--seed S] [--image-size PX]

Write a synthetic meme dataset to DIR in the Hateful Memes layout: img/NNNNN.png and train.jsonl, validation.jsonl,
test.jsonl (70/15/15, rows {"id","img","label","text"}), plus synth.json describing how it was made.
Defaults: --n 512, --seed 7, --image-size 64 (the quickstart's). The same seed writes byte-identical files.

The label is the XOR of what the picture shows (the big shape is warm: red to yellow, or cool: cyan to blue) and
what the text says (its keyword is an animal or a food). Memes come in groups of four with every combination, so
the same text with the other picture, or the same picture with the other keyword, has the other label: a model
that reads only the text or only the picture stays at chance, one that fuses both can reach AUROC 1.`;

const LIMITS = { n: [16, 1_000_000], seed: [0, 2 ** 31 - 1], "image-size": [16, 512] } as const;

export const dataCommand: Command = {
  name: "data",
  summary: "dataset tools (synth: generate a synthetic meme dataset)",
  help,
  async run(args) {
    if (wantsHelp(args)) return (console.log(help), 0);
    const [sub, ...rest] = args;
    if (sub !== "synth") throw new UsageError(sub ? `unknown subcommand '${sub}'` : "expected a subcommand");
    const { values, positionals } = parseFlags(rest, {
      out: { type: "string" },
      n: { type: "string", default: "512" },
      seed: { type: "string", default: "7" },
      "image-size": { type: "string", default: "64" },
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!values.out) throw new UsageError("--out DIR is required");
    const int = (flag: keyof typeof LIMITS) => {
      const raw = values[flag];
      const [lo, hi] = LIMITS[flag];
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < lo || n > hi) throw new UsageError(`--${flag} must be an integer from ${lo} to ${hi}, got '${raw}'`);
      return n;
    };
    const options = { n: int("n"), seed: int("seed"), imageSize: int("image-size") };
    const memes = await writeSynthetic(values.out, options);
    const count = (split: string) => memes.filter((m) => m.split === split).length;
    console.log(
      `wrote ${memes.length} memes to ${values.out}: train ${count("train")}, validation ${count("validation")}, test ${count("test")} ` +
        `(seed ${options.seed}, ${options.imageSize} px)`,
    );
    return 0;
  },
};
