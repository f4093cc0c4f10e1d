// A tokenizer.json (the Hugging Face tokenizers format) equal in behaviour to bert-base-uncased's: BertNormalizer
// (clean text, Chinese characters split, lowercase and accents stripped), BertPreTokenizer, WordPiece with "##"
// continuations, and the [CLS] A [SEP] B [SEP] template with token types 0 and 1.
export const SPECIAL_TOKENS = { pad: "[PAD]", unk: "[UNK]", cls: "[CLS]", sep: "[SEP]", mask: "[MASK]" } as const;

export function bertTokenizerJson(vocab: readonly string[]): object {
  const ids: Record<string, number> = {};
  vocab.forEach((token, id) => {
    if (token in ids) throw new Error(`vocabulary: ${token} appears twice (ids ${ids[token]} and ${id})`);
    ids[token] = id;
  });
  const id = (token: string) => {
    const v = ids[token];
    if (v === undefined) throw new Error(`vocabulary has no ${token}`);
    return v;
  };
  const special = (token: string, type_id: number) => ({ SpecialToken: { id: token, type_id } });
  const sequence = (name: "A" | "B", type_id: number) => ({ Sequence: { id: name, type_id } });
  const { cls, sep } = SPECIAL_TOKENS;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: Object.values(SPECIAL_TOKENS).map((content) => ({
      id: id(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [special(cls, 0), sequence("A", 0), special(sep, 0)],
      pair: [special(cls, 0), sequence("A", 0), special(sep, 0), sequence("B", 1), special(sep, 1)],
      special_tokens: {
        [cls]: { id: cls, ids: [id(cls)], tokens: [cls] },
        [sep]: { id: sep, ids: [id(sep)], tokens: [sep] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: { type: "WordPiece", unk_token: SPECIAL_TOKENS.unk, continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab: ids },
  };
}
