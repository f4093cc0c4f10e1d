// Text cleanup: what the model really reads.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cleanText } from "../../../trainer-image/src/text/clean.ts";

const lower = { lowercase: true, maxChars: 512 };

// Any code point (lone surrogates included), weighted towards the characters cleanup is about. fast-check's own
// "binary" strings take seconds to generate; this takes milliseconds.
const tricky = [" ", "  ", "\t", "\n", "\r\n", "\u200b", "\u00ad", "\ufeff", "\u0000", "\u0007", "\u2028", "\u3000", "Ａ", "ﬁ", "İ", "ẞ", "ᴬ", "K", "😀", "é", "e\u0301", "A"];
const messyText = fc
  .array(fc.oneof(fc.constantFrom(...tricky), fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp))), { maxLength: 60 })
  .map((parts) => parts.join(""));

describe("cleanText", () => {
  it("collapses whitespace, drops control and invisible characters, applies NFKC", () => {
    expect(cleanText("  when you \t finally\n\nfind  the remote  ", lower)).toBe("when you finally find the remote");
    expect(cleanText("ＦＵＬＬ　ＷＩＤＴＨ", lower)).toBe("full width");
    expect(cleanText("zero\u200bwidth\u00adsoft\ufeffbom", lower)).toBe("zerowidthsoftbom");
    expect(cleanText("bell\u0007 and\u0000nul", lower)).toBe("bell and nul");
    expect(cleanText("ﬁne ligature", lower)).toBe("fine ligature");
    expect(cleanText("line\u2028sep", lower)).toBe("line sep");
    expect(cleanText("\u1d2c\u212a", lower)).toBe("ak"); // modifier capital A and the Kelvin sign
  });

  it("lowercases only when asked", () => {
    expect(cleanText("Hello World", { lowercase: false, maxChars: 50 })).toBe("Hello World");
    expect(cleanText("Hello World", lower)).toBe("hello world");
  });

  it("cuts to maxChars in code points, never splitting a surrogate pair, and trims the cut", () => {
    expect(cleanText("abc def", { lowercase: true, maxChars: 4 })).toBe("abc");
    expect(cleanText("😀😀😀", { lowercase: true, maxChars: 2 })).toBe("😀😀");
  });

  it("is idempotent, bounded, and leaves no control characters or double spaces", () => {
    fc.assert(
      fc.property(messyText, fc.integer({ min: 1, max: 100 }), fc.boolean(), (s, maxChars, lowercase) => {
        const once = cleanText(s, { lowercase, maxChars });
        expect(cleanText(once, { lowercase, maxChars })).toBe(once);
        expect(Array.from(once).length).toBeLessThanOrEqual(maxChars);
        expect(once).not.toMatch(/[\p{Cc}\p{Cf}]|\s{2}|^\s|\s$/u);
      }),
      { numRuns: 500 },
    );
  });
});
