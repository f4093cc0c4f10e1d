// One file over HTTP(S), the way a dataset of thousands of files needs it: resumable (an existing `.part` file is
// continued with a Range request, also after a dropped connection), retried with backoff on network errors and
// 5xx/429, checked (size from Content-Length / Content-Range, sha256 when given) and only then renamed into place,
// so a file at its final path is always complete. Errors name the URL; request headers (an Authorization token)
// never appear in a message or a log line.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, rename, rm, stat } from "node:fs/promises";
import { Agent, fetch, type Response } from "undici";
import type { ProgressMeter } from "./progress.ts";

export interface DownloadOptions {
  /** Extra request headers (e.g. Authorization). Never logged. */
  headers?: Record<string, string>;
  /** Expected sha256 (hex); a mismatch deletes the file and throws. */
  sha256?: string;
  /** Attempts after the first, for network errors, 5xx and 429. */
  retries?: number;
  /** First backoff delay; doubles each attempt. */
  retryDelayMs?: number;
  progress?: ProgressMeter;
}

export interface DownloadResult {
  size: number;
  sha256: string;
  /** The Hugging Face hub's X-Repo-Commit header: the commit a branch name resolved to. */
  repoCommit?: string;
}

export class DownloadError extends Error {
  constructor(
    readonly url: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "DownloadError";
  }
}

/** The bytes arrived but are not the ones asked for. */
export class ChecksumError extends DownloadError {
  constructor(url: string, expected: string, actual: string) {
    super(url, `sha256 mismatch for ${url}: expected ${expected}, got ${actual}`);
    this.name = "ChecksumError";
  }
}

/** The server says the file does not exist (404 or 410): for a dataset, a missing item rather than a failure. */
export class NotFoundError extends DownloadError {
  constructor(url: string, status: number) {
    super(url, `not found (HTTP ${status}): ${url}`, status);
    this.name = "NotFoundError";
  }
}

// Timeouts between bytes, not for a whole transfer: a 4 GB archive may take an hour, a stalled socket may not.
const agent = new Agent({ headersTimeout: 60_000, bodyTimeout: 60_000, connect: { timeout: 20_000 } });

/** Download `url` to `dest`, resuming `dest.part` if a previous attempt left one. */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const retries = options.retries ?? 4;
  const part = `${dest}.part`;
  let lastError: DownloadError | undefined;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(lastRetryDelay(lastError) ?? (options.retryDelayMs ?? 500) * 2 ** (attempt - 1));
    try {
      const repoCommit = await fetchInto(url, part, options);
      const result = await verify(url, part, options.sha256);
      await rename(part, dest);
      return repoCommit ? { ...result, repoCommit } : result;
    } catch (err) {
      if (!(err instanceof RetryableError)) throw err;
      lastError = err;
    }
  }
  throw new DownloadError(url, `${lastError?.message ?? "failed"} (gave up after ${retries + 1} attempts)`, lastError?.status);
}

/** A failure worth another attempt; what was written to the .part file is kept and resumed. */
class RetryableError extends DownloadError {
  constructor(
    url: string,
    message: string,
    status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(url, message, status);
  }
}

function lastRetryDelay(err: DownloadError | undefined): number | undefined {
  return err instanceof RetryableError ? err.retryAfterMs : undefined;
}

async function fetchInto(url: string, part: string, options: DownloadOptions): Promise<string | undefined> {
  const offset = await sizeOf(part);
  const headers: Record<string, string> = { ...options.headers };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  let res: Response;
  try {
    res = await fetch(url, { headers, redirect: "follow", dispatcher: agent });
  } catch (err) {
    throw new RetryableError(url, `cannot reach ${url}: ${describeNetworkError(err)}`);
  }
  const status = res.status;
  const failure = answerFailure(url, res, offset);
  if (failure) {
    await res.body?.cancel();
    if (failure.restart) await rm(part, { force: true });
    throw failure.error;
  }
  const resumed = status === 206;
  const expectedTotal = resumed ? contentRangeTotal(res) : contentLength(res);
  if (expectedTotal !== undefined) options.progress?.expectBytes(expectedTotal);
  const written = await writeBody(url, res, part, resumed ? offset : 0, options.progress);
  if (expectedTotal !== undefined && written !== expectedTotal) {
    throw new RetryableError(url, `connection closed after ${written} of ${expectedTotal} bytes from ${url}`);
  }
  return res.headers.get("x-repo-commit") ?? undefined;
}

/** What a response that is not the bytes asked for means; `restart`: the .part file cannot be continued. */
function answerFailure(url: string, res: Response, offset: number): { error: DownloadError; restart?: boolean } | undefined {
  const status = res.status;
  if (status === 404 || status === 410) return { error: new NotFoundError(url, status) };
  if (status === 401 || status === 403) {
    return { error: new DownloadError(url, `access denied (HTTP ${status}) at ${url}: missing or insufficient token`, status) };
  }
  // 416: the range starts at or past the end, so the .part file is not a prefix of this file.
  if (status === 416) return { error: new RetryableError(url, `range not satisfiable at ${url}`, status), restart: true };
  if (status === 429 || status >= 500) return { error: new RetryableError(url, `HTTP ${status} from ${url}`, status, retryAfter(res)) };
  if (status !== 200 && status !== 206) return { error: new DownloadError(url, `unexpected HTTP ${status} from ${url}`, status) };
  if (status === 206 && contentRangeStart(res) !== offset) {
    return { error: new RetryableError(url, `server answered a different range than asked at ${url}`, status), restart: true };
  }
  return undefined;
}

/** Stream the body into the .part file from `start`; returns the file's size afterwards. */
async function writeBody(url: string, res: Response, part: string, start: number, progress?: ProgressMeter): Promise<number> {
  const fh = await open(part, start > 0 ? "r+" : "w");
  let position = start;
  try {
    if (start > 0) await fh.truncate(start);
    if (res.body) {
      for await (const chunk of res.body) {
        const bytes = chunk as Uint8Array;
        await fh.write(bytes, 0, bytes.length, position);
        position += bytes.length;
        progress?.addBytes(bytes.length);
      }
    }
  } catch (err) {
    throw new RetryableError(url, `connection dropped after ${position} bytes from ${url}: ${describeNetworkError(err)}`);
  } finally {
    await fh.close();
  }
  return position;
}

async function verify(url: string, file: string, expectedSha256?: string): Promise<DownloadResult> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const sha256 = hash.digest("hex");
  if (expectedSha256 && sha256 !== expectedSha256.toLowerCase()) {
    await rm(file, { force: true });
    throw new ChecksumError(url, expectedSha256, sha256);
  }
  return { size, sha256 };
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

function contentLength(res: Response): number | undefined {
  const v = res.headers.get("content-length");
  return v !== null && /^\d+$/.test(v) ? Number(v) : undefined;
}

function contentRangeStart(res: Response): number | undefined {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
  return m ? Number(m[1]) : undefined;
}

function contentRangeTotal(res: Response): number | undefined {
  const m = /^bytes \d+-\d+\/(\d+)$/.exec(res.headers.get("content-range") ?? "");
  return m ? Number(m[1]) : undefined;
}

function retryAfter(res: Response): number | undefined {
  const v = res.headers.get("retry-after");
  return v && /^\d+$/.test(v) ? Math.min(Number(v) * 1000, 60_000) : undefined;
}

/** undici reports "fetch failed" with the reason in `cause` (ECONNREFUSED, ENOTFOUND, a reset socket). */
function describeNetworkError(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
