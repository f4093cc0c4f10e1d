// Graphs exported without a dynamic batch axis take exactly B images per run: feed them chunks of B, padding the
// last chunk with repeats of its last item and dropping the padded results.

/** The fixed batch size of a declared shape [B, ...], or undefined when the batch axis is symbolic. */
export function fixedBatchOf(shape: readonly (number | string)[]): number | undefined {
  const first = shape[0];
  return typeof first === "number" && first > 0 ? first : undefined;
}

export async function inFixedBatches<T, R>(
  items: readonly T[],
  fixed: number | undefined,
  run: (chunk: T[]) => Promise<R[]>,
): Promise<R[]> {
  if (items.length === 0) return [];
  if (fixed === undefined) return run([...items]);
  const results: R[] = [];
  for (let start = 0; start < items.length; start += fixed) {
    const chunk = items.slice(start, start + fixed);
    const real = chunk.length;
    while (chunk.length < fixed) chunk.push(chunk[real - 1]!);
    results.push(...(await run(chunk)).slice(0, real));
  }
  return results;
}
