// Download progress as log lines: bytes so far, total when known, rate, files. Throttled, because a dataset of
// 12,000 images would otherwise print 12,000 lines, and a Job log is read by people.
import type { Log } from "./log.ts";

export interface ProgressOptions {
  /** Least time between two lines. */
  intervalMs?: number;
  /** Total bytes, when known in advance. */
  totalBytes?: number;
  /** Total files, when known in advance. */
  totalFiles?: number;
  /** A meter for one file: its total is learnt from the response (Content-Length). */
  singleFile?: boolean;
  now?: () => number;
}

export class ProgressMeter {
  private bytes = 0;
  private files = 0;
  private readonly started: number;
  private lastLine: number;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly label: string,
    private readonly log: Log,
    private readonly options: ProgressOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.intervalMs = options.intervalMs ?? 2000;
    this.started = this.now();
    this.lastLine = this.started;
  }

  /** A total learnt from a response; ignored by a meter shared by many files. */
  expectBytes(total: number): void {
    if (this.options.singleFile) this.options.totalBytes = total;
  }

  addBytes(n: number): void {
    this.bytes += n;
    this.maybeLog();
  }

  fileDone(): void {
    this.files++;
    this.maybeLog();
  }

  /** Print the final line, whatever the throttle says; nothing when nothing was downloaded (all cached or local). */
  finish(): void {
    if (this.bytes > 0) this.log(`${this.summary()} (done)`);
  }

  summary(): string {
    const seconds = Math.max((this.now() - this.started) / 1000, 1e-3);
    const { totalBytes, totalFiles } = this.options;
    const parts = [`${this.label}: ${formatBytes(this.bytes)}`];
    if (totalBytes) parts[0] += ` of ${formatBytes(totalBytes)} (${Math.floor((100 * this.bytes) / totalBytes)}%)`;
    parts.push(`${formatBytes(this.bytes / seconds)}/s`);
    if (this.files || totalFiles) parts.push(`${this.files}${totalFiles ? `/${totalFiles}` : ""} files`);
    return parts.join(", ");
  }

  private maybeLog(): void {
    const t = this.now();
    if (t - this.lastLine < this.intervalMs) return;
    this.lastLine = t;
    this.log(this.summary());
  }
}

export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}
