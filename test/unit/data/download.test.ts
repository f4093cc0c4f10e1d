// Downloads against a real local HTTP server: resume, checksums, errors that name the URL, the token.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DownloadCache } from "../../../trainer-image/src/data/download-cache.ts";
import { ChecksumError, DownloadError, NotFoundError, downloadFile } from "../../../trainer-image/src/data/download.ts";
import { ProgressMeter } from "../../../trainer-image/src/data/progress.ts";
import { closedPort, startFileServer, type FileServer } from "./fixtures/http-server.ts";

const dir = mkdtempSync(join(tmpdir(), "memeops-dl-"));
const big = randomBytes(300_000);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const fast = { retries: 2, retryDelayMs: 5 };
let server: FileServer;

beforeAll(async () => {
  server = await startFileServer({ "/files/big.bin": big, "/files/small.txt": Buffer.from("hello\n") });
});
afterAll(() => server.close());

describe("downloadFile", () => {
  it("downloads, verifies the sha256 and reports it", async () => {
    const dest = join(dir, "ok.bin");
    const r = await downloadFile(`${server.url}/files/big.bin`, dest, { ...fast, sha256: sha(big) });
    expect(r).toEqual({ size: big.length, sha256: sha(big) });
    expect(readFileSync(dest).equals(big)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it("resumes with a Range request after the connection drops mid-body", async () => {
    server.dropAfter.set("/files/big.bin", 100_000);
    const before = server.requests.length;
    const dest = join(dir, "resumed.bin");
    await downloadFile(`${server.url}/files/big.bin`, dest, { ...fast, sha256: sha(big) });
    const mine = server.requests.slice(before);
    expect(mine).toHaveLength(2);
    expect(mine[0]!.headers.range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(mine[1]!.headers.range ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(100_000);
    expect(readFileSync(dest).equals(big)).toBe(true);
  });

  it("continues a .part file left by an earlier process", async () => {
    const dest = join(dir, "left.bin");
    writeFileSync(`${dest}.part`, big.subarray(0, 123_456));
    const before = server.requests.length;
    await downloadFile(`${server.url}/files/big.bin`, dest, fast);
    expect(server.requests.slice(before).map((r) => r.headers.range)).toEqual(["bytes=123456-"]);
    expect(readFileSync(dest).equals(big)).toBe(true);
  });

  it("retries a 503, and starts over when the server ignores the Range header", async () => {
    server.failNext.set("/files/big.bin", 503);
    const dest = join(dir, "retried.bin");
    writeFileSync(`${dest}.part`, Buffer.from("garbage that is not a prefix"));
    server.ignoreRange = true;
    try {
      const before = server.requests.length;
      await downloadFile(`${server.url}/files/big.bin`, dest, fast);
      expect(server.requests.length - before).toBe(2);
    } finally {
      server.ignoreRange = false;
    }
    expect(readFileSync(dest).equals(big)).toBe(true);
  });

  it("a sha256 mismatch is an error naming the URL, and leaves no file", async () => {
    const dest = join(dir, "bad.bin");
    const url = `${server.url}/files/small.txt`;
    const err = await downloadFile(url, dest, { ...fast, sha256: "0".repeat(64) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumError);
    expect((err as Error).message).toBe(`sha256 mismatch for ${url}: expected ${"0".repeat(64)}, got ${sha(Buffer.from("hello\n"))}`);
    expect(existsSync(dest) || existsSync(`${dest}.part`)).toBe(false);
  });

  it("404 is a NotFoundError naming the URL", async () => {
    const url = `${server.url}/files/nope.png`;
    const err = await downloadFile(url, join(dir, "nope"), fast).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toBe(`not found (HTTP 404): ${url}`);
  });

  it("an unreachable server is an error naming the URL, after the retries", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/datasets/x/resolve/main/train.jsonl`;
    const err = await downloadFile(url, join(dir, "unreachable"), { retries: 1, retryDelayMs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot reach ${url.replace(/[.]/g, "\\.")}: ECONNREFUSED \\(gave up after 2 attempts\\)$`));
  });

  it("follows redirects (the hub sends large files to a CDN)", async () => {
    server.redirects.set("/resolve/big.bin", "/files/big.bin");
    const r = await downloadFile(`${server.url}/resolve/big.bin`, join(dir, "redirected.bin"), fast);
    expect(r.sha256).toBe(sha(big));
  });
});

describe("DownloadCache", () => {
  it("fetches once, then serves from the cache; a different expected sha256 fetches again", async () => {
    const cache = new DownloadCache(join(dir, "cache"), fast);
    const url = `${server.url}/files/small.txt`;
    const before = server.requests.length;
    const first = await cache.get(url);
    const second = await cache.get(url, { sha256: sha(Buffer.from("hello\n")) });
    expect(first.fromCache).toBe(false);
    expect(second).toMatchObject({ fromCache: true, path: first.path });
    expect(server.requests.length - before).toBe(1);
    expect(cache.stats).toEqual({ hits: 1, misses: 1, bytesDownloaded: 6 });
    await expect(cache.get(url, { sha256: "f".repeat(64) })).rejects.toThrow(/sha256 mismatch/);
    expect(server.requests.length - before).toBe(2);
  });

  it("two callers asking for one URL at once share one download", async () => {
    const cache = new DownloadCache(join(dir, "cache2"), fast);
    const before = server.requests.length;
    const [a, b] = await Promise.all([cache.get(`${server.url}/files/big.bin`), cache.get(`${server.url}/files/big.bin`)]);
    expect(a.path).toBe(b.path);
    expect(server.requests.length - before).toBe(1);
  });

  it("sends the token as a Bearer header and never logs it, not even on a 401", async () => {
    const token = "hf_SECRET_token_123";
    const lines: string[] = [];
    const meter = new ProgressMeter("big.bin", (l) => lines.push(l), { intervalMs: 0, singleFile: true });
    server.requireToken = token;
    try {
      const cache = new DownloadCache(join(dir, "cache3"), fast);
      const before = server.requests.length;
      await cache.get(`${server.url}/files/big.bin`, { headers: { authorization: `Bearer ${token}` }, progress: meter });
      meter.finish();
      expect(server.requests[before]!.headers.authorization).toBe(`Bearer ${token}`);
      const denied = await cache.get(`${server.url}/files/small.txt`, { headers: { authorization: "Bearer wrong_token" } }).catch((e: Error) => e);
      expect((denied as Error).message).toBe(`access denied (HTTP 401) at ${server.url}/files/small.txt: missing or insufficient token`);
    } finally {
      delete server.requireToken;
    }
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)).toMatch(/^big\.bin: 300\.0 kB of 300\.0 kB \(100%\), .*\/s \(done\)$/);
    expect(lines.join("\n")).not.toContain("SECRET");
  });
});

describe("redirects to another host", () => {
  it("do not carry the token there (the hub redirects large files to a CDN)", async () => {
    const cdn = await startFileServer({ "/blob/big.bin": big });
    try {
      server.redirects.set("/lfs/big.bin", `${cdn.url}/blob/big.bin`);
      const r = await downloadFile(`${server.url}/lfs/big.bin`, join(dir, "cdn.bin"), { ...fast, headers: { authorization: "Bearer hf_SECRET" } });
      expect(r.sha256).toBe(sha(big));
      expect(server.requests.at(-1)?.headers.authorization).toBe("Bearer hf_SECRET");
      expect(cdn.requests).toHaveLength(1);
      expect(cdn.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      await cdn.close();
    }
  });
});

describe("ProgressMeter", () => {
  it("throttles lines and shows bytes, total, rate and files", () => {
    let now = 0;
    const lines: string[] = [];
    const meter = new ProgressMeter("img", (l) => lines.push(l), { intervalMs: 1000, totalFiles: 3, now: () => now });
    meter.addBytes(500_000);
    now = 500;
    meter.addBytes(500_000); // within the interval: no line
    expect(lines).toEqual([]);
    now = 2000;
    meter.fileDone();
    expect(lines).toEqual(["img: 1.0 MB, 500.0 kB/s, 1/3 files"]);
    meter.finish();
    expect(lines).toHaveLength(2);
  });
});
