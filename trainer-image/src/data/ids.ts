// Meme ids. The Hateful Memes files name images by zero-padded ids ("img/01235.png") while the jsonl `id` field is
// a number (1235), so ids are normalised to strings of at least ID_DIGITS digits. Longer ids (a synthetic set of a
// million memes) keep all their digits; non-numeric ids are kept as written, trimmed.
export const ID_DIGITS = 5;

/** The id as a string, or null when there is none (missing, empty, negative, fractional). */
export function normaliseId(raw: unknown): string | null {
  if (typeof raw === "number") {
    return Number.isSafeInteger(raw) && raw >= 0 ? String(raw).padStart(ID_DIGITS, "0") : null;
  }
  if (typeof raw !== "string") return null;
  const s = raw.trim();
  if (s === "") return null;
  return /^\d+$/.test(s) ? s.padStart(ID_DIGITS, "0") : s;
}
