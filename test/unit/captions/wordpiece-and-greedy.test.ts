import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { greedyDecode } from "../../../trainer-image/src/captions/greedy-decode.ts";
import { loadWordPieceDecoder } from "../../../trainer-image/src/captions/wordpiece-decoder.ts";
import { vocabTxt, WORDS } from "../../fixtures/onnx/blip-fixture.ts";
import { fixture } from "../features/helpers.ts";

describe("WordPiece decoding", () => {
  it("drops specials, glues ## pieces and tidies punctuation", async () => {
    const decoder = await loadWordPieceDecoder(fixture("blip-like/vocab.txt"));
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
  // Vocab of 5; the next token is the given table's entry for (sequence, step).
  const table = [
    [3, 4, 2, 1, 1],
    [4, 2, 0, 0, 0],
  ];
  const run = (maxTokens: number) =>
    greedyDecode({
      batch: 2,
      maxTokens,
      bos: 1,
      eos: 2,
      pad: 0,
      async step(ids, length) {
        const logits = new Float32Array(2 * length * 5);
        for (let n = 0; n < 2; n++) logits[(n * length + length - 1) * 5 + table[n]![length - 1]!] = 1;
        expect(ids.length).toBe(2 * length);
        return { logits, vocab: 5 };
      },
    });

  it("stops each sequence at eos and the batch when all have stopped", async () => {
    expect(await run(10)).toEqual([[3, 4], [4]]);
  });

  it("stops at maxTokens", async () => {
    expect(await run(1)).toEqual([[3], [4]]);
  });
});
