// The per-epoch progress bar of `memeops run` on a terminal: steps of total, samples/s and ETA, redrawn in place on
// stderr (a TTY write is synchronous, so the bar moves even though a training epoch never yields to the event loop).
import type { TrainEvent } from "../trainer-image/src/training/loop.ts";

export interface BarState {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  samplesPerSecond: number;
  /** null until a step has been timed */
  etaSeconds: number | null;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const two = (n: number) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

export function formatBar(s: BarState, width = 24): string {
  const done = s.steps > 0 ? Math.min(1, s.step / s.steps) : 0;
  const filled = Math.round(done * width);
  const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
  const tail = s.step >= s.steps ? "validating" : `ETA ${s.etaSeconds === null ? "-" : formatDuration(s.etaSeconds)}`;
  return `epoch ${String(s.epoch).padStart(String(s.epochs).length)}/${s.epochs} [${bar}] ` +
    `${String(s.step).padStart(String(s.steps).length)}/${s.steps} steps  ${s.samplesPerSecond.toFixed(0)} samples/s  ${tail}`;
}

export interface BarStream {
  write(s: string): unknown;
  columns?: number;
}

/** Feeds on training events; draws at most every `intervalMs` (and always the last step of an epoch). */
export class EpochProgressBar {
  private epochs = 0;
  private steps = 0;
  private epochStart = 0;
  private rate = 0;
  private lastDraw = -Infinity;
  private shown = false;

  constructor(private readonly out: BarStream, private readonly o: { intervalMs?: number; now?: () => number } = {}) {}

  private now(): number {
    return this.o.now ? this.o.now() : performance.now();
  }

  onEvent(e: TrainEvent): void {
    if (e.type === "start") {
      this.epochs = e.epochs;
      this.steps = e.stepsPerEpoch;
    } else if (e.type === "step") {
      if (e.batch === 1) {
        // timed from the end of the first step: the steps after it give the pace
        this.epochStart = this.now();
        this.rate = e.samplesPerSecond;
      } else {
        this.rate = 0.8 * this.rate + 0.2 * e.samplesPerSecond;
      }
      const t = this.now();
      const last = e.batch >= this.steps;
      if (!last && t - this.lastDraw < (this.o.intervalMs ?? 100)) return;
      this.lastDraw = t;
      const perStep = e.batch > 1 ? (t - this.epochStart) / (e.batch - 1) / 1000 : null;
      this.draw({
        epoch: e.epoch, epochs: this.epochs, step: e.batch, steps: this.steps, samplesPerSecond: this.rate,
        etaSeconds: perStep === null ? null : perStep * (this.steps - e.batch),
      });
    } else if (e.type === "epoch" || e.type === "end") {
      this.clear();
    }
  }

  private draw(s: BarState): void {
    const line = formatBar(s);
    const max = this.out.columns ? this.out.columns - 1 : line.length;
    this.out.write(`\r${line.slice(0, max)}\x1b[K`);
    this.shown = true;
  }

  /** Removes the bar, so a line can be printed where it was. */
  clear(): void {
    if (this.shown) this.out.write("\r\x1b[K");
    this.shown = false;
  }
}
