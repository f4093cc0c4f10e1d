// A keyed work queue after client-go's: a key is queued at most once however many events arrive, is never handed to
// two workers at once (a key re-added while being processed is queued again when its worker is done), failures are
// retried with per-key exponential backoff, and a global token bucket caps the rate of all retries together.
import { backoffMs } from "./backoff.ts";

export interface QueueMetrics {
  depth(n: number): void;
  added(): void;
  retried(): void;
  waited(seconds: number): void;
}

export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** global rate limit on rate-limited adds (retries): tokens per second and burst */
  qps?: number;
  burst?: number;
  metrics?: QueueMetrics;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirtyWhileProcessing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private tokens: number;
  private lastRefill = Date.now();
  private closed = false;

  constructor(private readonly o: WorkQueueOptions = {}) {
    this.tokens = o.burst ?? 100;
  }

  get depth(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.closed) return;
    this.o.metrics?.added();
    if (this.processing.has(key)) {
      this.dirtyWhileProcessing.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.addedAt.set(key, Date.now());
    const waiter = this.waiters.shift();
    if (waiter) {
      this.queued.delete(key);
      this.processing.add(key);
      this.observeWait(key);
      waiter(key);
    } else {
      this.queue.push(key);
      this.o.metrics?.depth(this.queue.length);
    }
  }

  /** Add after a delay; an earlier pending delay for the key wins (no starvation by repeated requeues). */
  addAfter(key: string, delayMs: number): void {
    if (this.closed) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Retry a failed key: per-key exponential backoff, and no sooner than the global bucket allows. */
  addRateLimited(key: string): void {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    this.o.metrics?.retried();
    this.addAfter(key, Math.max(backoffMs(n, this.o.baseDelayMs ?? 5, this.o.maxDelayMs ?? 300_000), this.bucketDelayMs()));
  }

  /** The key succeeded: its backoff starts over. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      this.o.metrics?.depth(this.queue.length);
      this.observeWait(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirtyWhileProcessing.delete(key)) this.add(key);
  }

  shutdown(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private observeWait(key: string): void {
    const at = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (at !== undefined) this.o.metrics?.waited((Date.now() - at) / 1000);
  }

  private bucketDelayMs(): number {
    const qps = this.o.qps ?? 10;
    const now = Date.now();
    this.tokens = Math.min(this.o.burst ?? 100, this.tokens + ((now - this.lastRefill) / 1000) * qps);
    this.lastRefill = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / qps) * 1000;
  }
}
