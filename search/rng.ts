// Seeded randomness for the algorithms. search/ may import nothing outside itself, so it keeps its own copy of the
// trainer's counter-based scheme (trainer-image/src/common/rng.ts: murmur3-finaliser seed mixing + mulberry32): every
// draw is a pure function of (seed, counters), which is what makes suggest() the same in any process.

/** 32-bit mix of integers (murmur3 finaliser over a running hash). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** mulberry32: floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box-Muller), from two uniforms of `rand`. */
export function normal(rand: () => number): number {
  const u = 1 - rand(); // (0, 1]: log is finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}
