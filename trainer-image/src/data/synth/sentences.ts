// The text of a synthetic meme: a filler sentence with one keyword in it. The textual attribute is which list the
// keyword comes from (animals: 0, foods: 1); the sentences around it carry no information about the label.
import type { Random } from "./random.ts";

export const KEYWORDS: readonly [readonly string[], readonly string[]] = [
  ["cat", "dog", "horse", "rabbit", "parrot", "turtle", "goat", "hamster", "duck", "owl"],
  ["pizza", "taco", "burger", "donut", "pancake", "salad", "sandwich", "pretzel", "waffle", "noodles"],
];

// Short on purpose: with openers and closers every text stays within 14 WordPiece tokens, so a model with the
// quickstart's 16-token sequences never loses the keyword to truncation.
const TEMPLATES = [
  "when the {w} finally texts back",
  "me telling my {w} about monday",
  "nobody: my {w} at 3am",
  "that moment your {w} judges you",
  "i told my boss about the {w}",
  "{w} energy only this weekend",
  "they said the {w} was a bad idea",
  "my {w} when the wifi goes down",
  "first day with a {w}",
  "trust me, the {w} knows",
  "look at this {w} running the house",
  "current mood: {w}",
];
const OPENERS = ["", "", "", "lol ", "ok so ", "honestly "];
const CLOSERS = ["", "", "", " again", " lol", "!!"];

/** A sentence with a free slot for the keyword: the twins of a group differ only in that word. */
export interface Sentence {
  template: string;
  opener: string;
  closer: string;
  shout: boolean;
}

export function randomSentence(rng: Random): Sentence {
  return { template: rng.pick(TEMPLATES), opener: rng.pick(OPENERS), closer: rng.pick(CLOSERS), shout: rng.next() < 0.15 };
}

export function writeSentence(s: Sentence, keyword: string): string {
  const text = `${s.opener}${s.template.replace("{w}", keyword)}${s.closer}`;
  return s.shout ? text.toUpperCase() : text;
}
