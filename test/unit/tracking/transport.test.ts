// The HTTP layer against a tiny loopback server: auth headers, retries, Retry-After, error classes, redaction.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { credentialsFromEnv, credentialsFromSecretData, authorizationHeader, redact } from "../../../tracking/mlflow/auth.ts";
import { MlflowError, MlflowTransport } from "../../../tracking/mlflow/http.ts";
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter } from "../../../tracking/mlflow/retry.ts";

type Reply = { status: number; body?: unknown; headers?: Record<string, string>; hang?: boolean };
let server: Server;
let base: string;
let replies: Reply[] = [];
let requests: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req);
    req.resume();
    const r = replies.shift() ?? { status: 200, body: {} };
    if (r.hang) return; // never answers
    res.writeHead(r.status, { "content-type": "application/json", ...(r.headers ?? {}) });
    res.end(JSON.stringify(r.body ?? {}));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  replies = [];
  requests = [];
});

function transport(o: Partial<ConstructorParameters<typeof MlflowTransport>[0]> = {}) {
  const delays: number[] = [];
  const t = new MlflowTransport({ trackingUri: base, sleep: async (ms) => void delays.push(ms), ...o });
  return { t, delays };
}
const get = { method: "GET" as const, path: "/api/2.0/mlflow/experiments/get-by-name", query: { experiment_name: "x" } };

describe("auth", () => {
  it("sends a bearer token, or basic auth (which wins when both are set, as in MLflow)", async () => {
    await transport({ credentials: { token: "tok-123456" } }).t.call(get);
    expect(requests[0]!.headers.authorization).toBe("Bearer tok-123456");
    await transport({ credentials: { token: "tok-123456", username: "u", password: "p4ss" } }).t.call(get);
    expect(requests[1]!.headers.authorization).toBe(`Basic ${Buffer.from("u:p4ss").toString("base64")}`);
    await transport().t.call(get);
    expect(requests[2]!.headers.authorization).toBeUndefined();
  });

  it("takes user:password from the URI and strips it from the base URL", async () => {
    const { t } = transport({ trackingUri: base.replace("http://", "http://bob:s3cr%40t@") });
    expect(t.baseUrl).toBe(base);
    await t.call(get);
    expect(requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from("bob:s3cr@t").toString("base64")}`);
  });

  it("reads the environment and Secret data", () => {
    expect(credentialsFromEnv({ MLFLOW_TRACKING_TOKEN: "t", MLFLOW_TRACKING_USERNAME: "", MLFLOW_TRACKING_PASSWORD: undefined })).toEqual({ token: "t" });
    expect(credentialsFromSecretData({ username: "u", password: "p" })).toEqual({ username: "u", password: "p" });
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    expect(credentialsFromSecretData({ MLFLOW_TRACKING_TOKEN: b64("tok") }, { base64: true })).toEqual({ token: "tok" });
    expect(credentialsFromSecretData(undefined)).toEqual({});
    expect(authorizationHeader({})).toBeUndefined();
  });

  it("redacts tokens, passwords and Authorization headers", () => {
    const c = { token: "tok-abcdef", username: "u", password: "hunter22" };
    const text = `token tok-abcdef pw hunter22 header ${authorizationHeader(c)} {"Authorization": "Bearer zzzzzzzz"}`;
    const out = redact(text, c);
    expect(out).not.toMatch(/tok-abcdef|hunter22|zzzzzzzz/);
    expect(out).not.toContain(authorizationHeader(c)!.split(" ")[1]!);
    expect(out).toContain("[REDACTED]");
  });

  it("an error message never carries the secret, even when the server echoes it", async () => {
    replies = [{ status: 400, body: { error_code: "INVALID_PARAMETER_VALUE", message: "bad header Authorization: Bearer tok-echoed-999" } }];
    const e = await transport({ credentials: { token: "tok-echoed-999" } }).t.call(get).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MlflowError);
    expect((e as Error).message).not.toContain("tok-echoed-999");
    expect((e as MlflowError).errorCode).toBe("INVALID_PARAMETER_VALUE");
  });
});

describe("retries", () => {
  it("retries 503 honouring Retry-After, and 500 with exponential backoff", async () => {
    replies = [{ status: 503, headers: { "retry-after": "3" } }, { status: 500 }, { status: 200, body: { ok: 1 } }];
    const { t, delays } = transport();
    expect(await t.call(get)).toEqual({ ok: 1 });
    expect(requests).toHaveLength(3);
    expect(delays[0]).toBe(3000);
    expect(delays[1]).toBeGreaterThanOrEqual(DEFAULT_RETRY.baseDelayMs);
  });

  it("gives up after 5 tries in all", async () => {
    replies = Array.from({ length: 10 }, () => ({ status: 502 }));
    const { t, delays } = transport();
    const e = (await t.call(get).catch((x: unknown) => x)) as MlflowError;
    expect(requests).toHaveLength(5);
    expect(delays).toHaveLength(4);
    expect(e.status).toBe(502);
    expect(e.info.ambiguous).toBe(true);
  });

  it("does not retry a 400 or a 401", async () => {
    replies = [{ status: 400, body: { error_code: "INVALID_PARAMETER_VALUE", message: "no" } }];
    expect(((await transport().t.call(get).catch((x: unknown) => x)) as MlflowError).retryable).toBe(false);
    replies = [{ status: 401 }];
    await transport().t.call(get).catch(() => undefined);
    expect(requests).toHaveLength(2);
  });

  it("a refused connection is unreachable (nothing applied); a timeout is ambiguous", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = (await new MlflowTransport({ trackingUri: `http://127.0.0.1:${port}`, retry: { tries: 1 } }).once(get).catch((x: unknown) => x)) as MlflowError;
    expect(refused.info).toMatchObject({ unreachable: true, ambiguous: false, retryable: true });

    replies = [{ status: 200, hang: true }];
    const slow = (await transport({ timeoutMs: 300 }).t.once(get).catch((x: unknown) => x)) as MlflowError;
    expect(slow.info).toMatchObject({ ambiguous: true, retryable: true });
    expect(slow.message).toMatch(/timeout/i);
  });

  it("backoff grows and is capped; Retry-After parses seconds and dates", () => {
    const p = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, p, undefined, () => 1)).toBe(100);
    expect(backoffDelay(3, p, undefined, () => 1)).toBe(400);
    expect(backoffDelay(10, p, undefined, () => 0)).toBe(500);
    expect(backoffDelay(1, p, 999_999)).toBe(p.maxRetryAfterMs);
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});
