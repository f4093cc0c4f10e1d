// Batched greedy decoding: every sequence starts with `bos`; each step hands the decoder each sequence's latest
// token (the decoder keeps the earlier ones in its KV cache) and appends the arg-max of the logits it returns,
// until each sequence has emitted `eos` or `maxTokens` tokens. Finished sequences are fed `pad` so the batch stays
// rectangular; what they produce after `eos` is dropped.

export interface GreedyOptions {
  batch: number;
  maxTokens: number;
  bos: number;
  eos: number;
  pad: number;
  /** Logits [batch, vocab] (row-major) for the token after `tokens` [batch], one per sequence. */
  next(tokens: BigInt64Array): Promise<{ logits: Float32Array; vocab: number }>;
}

/** The generated tokens per sequence, without bos and eos. */
export async function greedyDecode(options: GreedyOptions): Promise<number[][]> {
  const { batch, maxTokens, bos, eos, pad } = options;
  const sequences: number[][] = Array.from({ length: batch }, () => []);
  const done = new Array<boolean>(batch).fill(false);
  const latest = new BigInt64Array(batch).fill(BigInt(bos));
  for (let t = 0; t < maxTokens && done.includes(false); t++) {
    const { logits, vocab } = await options.next(latest.slice());
    if (logits.length !== batch * vocab) throw new Error(`decoder returned ${logits.length} logits, expected [${batch}, ${vocab}]`);
    for (let n = 0; n < batch; n++) {
      const next = done[n] ? pad : argmax(logits, n * vocab, vocab);
      if (next === eos) done[n] = true;
      sequences[n]!.push(next);
      latest[n] = BigInt(next);
    }
  }
  return sequences.map((generated) => {
    const end = generated.indexOf(eos);
    return end < 0 ? generated : generated.slice(0, end);
  });
}

/** Index of the largest value; ties go to the lowest index (as torch.argmax). */
function argmax(values: Float32Array, offset: number, count: number): number {
  let best = 0;
  let bestValue = values[offset]!;
  for (let i = 1; i < count; i++) {
    const v = values[offset + i]!;
    if (v > bestValue) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}
