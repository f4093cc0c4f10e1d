// Batched greedy decoding: every sequence starts with `bos`; each step feeds the whole prefix (the decoder export
// has no KV cache) and appends the arg-max of the last position's logits, until each sequence has emitted `eos`
// or `maxTokens` tokens. Finished sequences are fed `pad` so the batch stays rectangular.

export interface GreedyOptions {
  batch: number;
  maxTokens: number;
  bos: number;
  eos: number;
  pad: number;
  /** Logits [batch, length, vocab] for the prefixes ids [batch, length] (row-major). */
  step(ids: BigInt64Array, length: number): Promise<{ logits: Float32Array; vocab: number }>;
}

/** The generated tokens per sequence, without bos and eos. */
export async function greedyDecode(options: GreedyOptions): Promise<number[][]> {
  const { batch, maxTokens, bos, eos, pad } = options;
  const sequences: number[][] = Array.from({ length: batch }, () => [bos]);
  const done = new Array<boolean>(batch).fill(false);
  for (let t = 0; t < maxTokens && done.includes(false); t++) {
    const length = t + 1;
    const ids = BigInt64Array.from(sequences.flat(), BigInt);
    const { logits, vocab } = await options.step(ids, length);
    if (logits.length !== batch * length * vocab) throw new Error(`decoder returned ${logits.length} logits, expected [${batch}, ${length}, ${vocab}]`);
    for (let n = 0; n < batch; n++) {
      const next = done[n] ? pad : argmax(logits, (n * length + length - 1) * vocab, vocab);
      if (next === eos) done[n] = true;
      sequences[n]!.push(next);
    }
  }
  return sequences.map((s) => {
    const generated = s.slice(1);
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
