// `memeops data ...`: dataset tools. The synthetic generator lives in trainer-image/src/data.
import { type Command, wantsHelp } from "../command.ts";

const help = `Usage: memeops data synth --out DIR [--n N] [--seed S]

Write a synthetic meme dataset (PNG images and jsonl splits, the Hateful Memes layout) to DIR. The label depends on
image and text together, so unimodal models stay near chance while a fused model can learn it.`;

export const dataCommand: Command = {
  name: "data",
  summary: "dataset tools (synth: generate a synthetic meme dataset)",
  help,
  async run(args) {
    if (wantsHelp(args) || args.length === 0) return (console.log(help), args.length === 0 ? 2 : 0);
    process.stderr.write("memeops data synth: the synthetic generator is not implemented in this version yet\n");
    return 2;
  },
};
