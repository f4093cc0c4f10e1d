// Run an async function over items with at most `limit` calls in flight, results in input order: downloads and
// image decoding overlap I/O without flooding a server or the libuv pool, and the output order never depends on
// which call finished first.
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (err) {
        next = items.length; // the first failure stops the other workers from starting new items
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
