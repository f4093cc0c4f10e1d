// The text the model consumes (the original project cleaned its text and then fed the raw text to the model; here
// this function's output is what gets tokenized). Order matters: NFKC first (full-width letters, ligatures and
// compatibility spaces become plain ones), then control and format characters (zero-width spaces, BOMs, bidi
// marks) go, with line breaks and tabs counting as spaces, then whitespace is collapsed, then the cut. Lowercasing
// comes right after NFKC and is followed by NFKC again (a lowercased character can have a compatibility form), so
// cleaning cleaned text changes nothing.
export interface TextCleanOptions {
  lowercase: boolean;
  /** Kept after cleanup, counted in code points so a surrogate pair is never split. */
  maxChars: number;
}

const SPACE_LIKE = /[\p{Cc}\p{Zl}\p{Zp}\s]+/gu;
const INVISIBLE = /[\p{Cf}]/gu;

export function cleanText(raw: string, options: TextCleanOptions): string {
  let text = raw.normalize("NFKC");
  if (options.lowercase) text = text.toLowerCase().normalize("NFKC");
  text = text.replace(INVISIBLE, "").replace(SPACE_LIKE, " ").trim();
  const chars = Array.from(text);
  return chars.length > options.maxChars ? chars.slice(0, options.maxChars).join("").trimEnd() : text;
}
