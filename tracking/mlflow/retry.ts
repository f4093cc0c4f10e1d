// Retry policy shared by every MLflow call: a few tries with exponential backoff and jitter,
// honouring the server's Retry-After (429/503), as MLflow's own Python client does.

export interface RetryPolicy {
  /** Total attempts, the first included. */
  tries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After above this is clamped, so a misbehaving proxy cannot park a trainer for hours. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { tries: 5, baseDelayMs: 500, maxDelayMs: 20_000, maxRetryAfterMs: 120_000 };

export interface RetryableError {
  retryable: boolean;
  retryAfterMs?: number;
}

/** Delay before retry number `n` (1 = the first retry). Full jitter on the upper half keeps it >= half the step. */
export function backoffDelay(n: number, p: RetryPolicy, retryAfterMs?: number, rand: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), p.maxRetryAfterMs);
  const step = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (n - 1));
  return Math.round(step / 2 + (rand() * step) / 2);
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `attempt` until it succeeds, throws a non-retryable error, or the tries run out.
 * `attempt` gets the previous error so a non-idempotent call can check what already landed.
 */
export async function withRetries<T, E extends RetryableError>(
  attempt: (n: number, previous: E | undefined) => Promise<T>,
  isError: (e: unknown) => e is E,
  policy: RetryPolicy,
  sleep: Sleep = realSleep,
  onRetry?: (e: E, n: number, delayMs: number) => void,
): Promise<T> {
  let previous: E | undefined;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n, previous);
    } catch (e) {
      if (!isError(e) || !e.retryable || n >= policy.tries) throw e;
      const delay = backoffDelay(n, policy, e.retryAfterMs);
      onRetry?.(e, n, delay);
      previous = e;
      await sleep(delay);
    }
  }
}
