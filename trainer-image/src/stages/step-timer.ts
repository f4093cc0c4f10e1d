// Seconds spent per named step, summed over calls (a step runs once per split), in first-seen order.
export class StepTimer {
  private readonly totals = new Map<string, number>();

  async time<T>(step: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.totals.set(step, (this.totals.get(step) ?? 0) + (performance.now() - start) / 1000);
    }
  }

  entries(): { step: string; seconds: number }[] {
    return [...this.totals].map(([step, seconds]) => ({ step, seconds: Math.round(seconds * 1000) / 1000 }));
  }
}
