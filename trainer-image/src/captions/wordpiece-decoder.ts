// Token ids -> text with BLIP's BERT (bert-base-uncased) WordPiece vocabulary, as Hugging Face's
// decode(skip_special_tokens=True) does: specials dropped, "##" pieces glued, spaces before punctuation removed.
import { readFile } from "node:fs/promises";

export interface WordPieceDecoder {
  decode(ids: readonly number[]): string;
}

/** BLIP appends [DEC] (30522, its start token) and [ENC] (30523) to BERT's 30522 tokens. */
const BLIP_EXTRA = ["[DEC]", "[ENC]"];
const BERT_SPECIAL = new Set(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ...BLIP_EXTRA]);

/** Load `vocab.txt` (one token per line, line number = id) or a Hugging Face `tokenizer.json`. */
export async function loadWordPieceDecoder(path: string): Promise<WordPieceDecoder> {
  const text = await readFile(path, "utf8");
  const { tokens, special } = path.endsWith(".json") ? fromTokenizerJson(text, path) : fromVocabTxt(text);
  if (tokens.length < 30522) throw new Error(`${path}: ${tokens.length} tokens, expected BERT's 30522 or more`);
  for (const [offset, token] of BLIP_EXTRA.entries()) {
    if (tokens[30522 + offset] === undefined) tokens[30522 + offset] = token;
  }
  for (const token of tokens) if (token !== undefined && BERT_SPECIAL.has(token)) special.add(token);
  return {
    decode(ids) {
      const words: string[] = [];
      for (const id of ids) {
        const token = tokens[id];
        if (token === undefined) throw new Error(`token id ${id} is not in the vocabulary ${path}`);
        if (!special.has(token)) words.push(token);
      }
      return cleanUp(words.join(" ").replaceAll(" ##", ""));
    },
  };
}

function fromVocabTxt(text: string): { tokens: (string | undefined)[]; special: Set<string> } {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return { tokens: lines.map((line) => line.replace(/\r$/, "")), special: new Set() };
}

function fromTokenizerJson(text: string, path: string): { tokens: (string | undefined)[]; special: Set<string> } {
  const json = JSON.parse(text) as {
    model?: { vocab?: Record<string, number> };
    added_tokens?: { id: number; content: string; special?: boolean }[];
  };
  if (!json.model?.vocab) throw new Error(`${path}: not a WordPiece tokenizer.json (no model.vocab)`);
  const tokens: (string | undefined)[] = [];
  for (const [token, id] of Object.entries(json.model.vocab)) tokens[id] = token;
  const special = new Set<string>();
  for (const added of json.added_tokens ?? []) {
    tokens[added.id] = added.content;
    if (added.special) special.add(added.content);
  }
  return { tokens, special };
}

/** transformers' clean_up_tokenization. */
function cleanUp(text: string): string {
  return text
    .replaceAll(" .", ".")
    .replaceAll(" ?", "?")
    .replaceAll(" !", "!")
    .replaceAll(" ,", ",")
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
