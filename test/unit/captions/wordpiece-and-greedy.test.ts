import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { greedyDecode } from "../../../trainer-image/src/captions/greedy-decode.ts";
import { loadWordPieceDecoder } from "../../../trainer-image/src/captions/wordpiece-decoder.ts";
import { vocabTxt, WORDS } from "../../fixtures/onnx/wordpiece-vocab.ts";
import { fixture } from "../features/helpers.ts";

describe("WordPiece decoding", () => {
  it("drops specials, glues ## pieces and tidies punctuation", async () => {
    const decoder = await loadWordPieceDecoder(fixture("wordpiece-vocab.txt"));
    const ids = [30522, WORDS.a!, WORDS.man!, WORDS.holding!, WORDS.sign!, WORDS["##s"]!, WORDS["."]!, 102, 0];
    expect(decoder.decode(ids)).toBe("a man holding signs.");
    expect(() => decoder.decode([40000])).toThrow(/token id 40000 is not in the vocabulary/);
  });

  it("reads a Hugging Face tokenizer.json as well", async () => {
    const tokens = vocabTxt().trimEnd().split("\n");
    const json = {
      model: { type: "WordPiece", vocab: Object.fromEntries(tokens.map((t, i) => [t, i])) },
      added_tokens: [{ id: 30522, content: "[DEC]", special: true }],
    };
    const path = join(mkdtempSync(join(tmpdir(), "memeops-tok-")), "tokenizer.json");
    writeFileSync(path, JSON.stringify(json));
    const decoder = await loadWordPieceDecoder(path);
    expect(decoder.decode([30522, WORDS.a!, WORDS.dog!, 102])).toBe("a dog");
  });
});

describe("greedyDecode", () => {
  // Vocab of 5; the next token is the table's entry for (sequence, step). The decoder keeps the prefix (its KV
  // cache): it is handed each sequence's latest token only, finished sequences being fed pad.
  const table = [
    [3, 4, 2, 1, 1],
    [4, 2, 0, 0, 0],
  ];
  const run = async (maxTokens: number) => {
    const fed: number[][] = [];
    const tokens = await greedyDecode({
      batch: 2,
      maxTokens,
      bos: 1,
      eos: 2,
      pad: 0,
      async next(latest) {
        const step = fed.push([...latest].map(Number)) - 1;
        const logits = new Float32Array(2 * 5);
        for (let n = 0; n < 2; n++) logits[n * 5 + table[n]![step]!] = 1;
        return { logits, vocab: 5 };
      },
    });
    return { tokens, fed };
  };

  it("feeds each step the latest tokens, stops each sequence at eos and the batch when all have stopped", async () => {
    expect(await run(10)).toEqual({
      tokens: [[3, 4], [4]],
      fed: [
        [1, 1],
        [3, 4],
        [4, 2],
      ],
    });
  });

  it("stops at maxTokens", async () => {
    expect((await run(1)).tokens).toEqual([[3], [4]]);
  });

  it("refuses logits of the wrong size", async () => {
    const wrong = greedyDecode({ batch: 2, maxTokens: 3, bos: 1, eos: 2, pad: 0, next: async () => ({ logits: new Float32Array(5), vocab: 5 }) });
    await expect(wrong).rejects.toThrow("decoder returned 5 logits, expected [2, 5]");
  });
});
