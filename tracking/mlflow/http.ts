// One HTTP exchange with an MLflow server (undici), and the error that says whether the request may
// have been applied: a retry of a non-idempotent call (metrics append) must check first when it may.
import { Agent, request, type Dispatcher } from "undici";
import type { Readable } from "node:stream";
import { authorizationHeader, redact, type MlflowCredentials } from "./auth.ts";
import { DEFAULT_RETRY, parseRetryAfter, realSleep, withRetries, type RetryPolicy, type Sleep } from "./retry.ts";
import type { Logger } from "../../api/contract/log.ts";

export class MlflowError extends Error {
  override readonly name = "MlflowError";
  constructor(
    message: string,
    readonly info: {
      method: string;
      path: string;
      /** HTTP status; undefined for network errors and timeouts. */
      status?: number;
      /** MLflow's error_code, e.g. RESOURCE_ALREADY_EXISTS. */
      errorCode?: string;
      /** Worth another try (network, timeout, 429, 5xx). */
      retryable: boolean;
      /** The server may have applied the request although no success came back. */
      ambiguous: boolean;
      retryAfterMs?: number;
      /** The server could not be reached at all (nothing can have been applied). */
      unreachable?: boolean;
    },
  ) {
    super(message);
  }
  get retryable(): boolean {
    return this.info.retryable;
  }
  get retryAfterMs(): number | undefined {
    return this.info.retryAfterMs;
  }
  get status(): number | undefined {
    return this.info.status;
  }
  get errorCode(): string | undefined {
    return this.info.errorCode;
  }
}

export function isMlflowError(e: unknown): e is MlflowError {
  return e instanceof MlflowError;
}

/**
 * Worth trying again later: the server was unreachable, overloaded or failing, or refused the
 * credentials (they may be rotated). Anything else is a request it will refuse every time.
 * Errors that are not MlflowErrors (file store I/O, programming errors) count as not transient,
 * unless they carry `transient: true` (BatchError).
 */
export function isTransient(e: unknown): boolean {
  if (e instanceof MlflowError) return e.retryable || e.status === 401 || e.status === 403;
  return (e as { transient?: unknown } | null)?.transient === true;
}

export interface TransportOptions {
  /** Tracking URI, e.g. http://mlflow.mlflow.svc:5000 (a path prefix is kept). user:pass@ in it becomes basic auth. */
  trackingUri: string;
  credentials?: MlflowCredentials;
  /** Per attempt, connect to last body byte. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  dispatcher?: Dispatcher;
  logger?: Logger;
  sleep?: Sleep;
}

export interface RequestSpec {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path under the tracking URI, e.g. /api/2.0/mlflow/runs/get. */
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  /** Raw body (artifacts); a factory, because a stream can be read only once and retries need it again. */
  body?: () => Buffer | Uint8Array | string | Readable;
  contentType?: string;
  /** Overrides the transport's per-attempt timeout (large uploads). */
  timeoutMs?: number;
}

// Connection failures that prove the request never reached the server.
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

export class MlflowTransport {
  readonly baseUrl: string;
  readonly policy: RetryPolicy;
  private readonly credentials: MlflowCredentials;
  private readonly auth: string | undefined;
  private readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher;
  private readonly logger: Logger | undefined;
  private readonly sleep: Sleep;

  constructor(o: TransportOptions) {
    const u = new URL(o.trackingUri);
    const creds: MlflowCredentials = { ...(o.credentials ?? {}) };
    if (u.username && !creds.username) {
      creds.username = decodeURIComponent(u.username);
      creds.password = decodeURIComponent(u.password);
    }
    u.username = "";
    u.password = "";
    this.baseUrl = u.toString().replace(/\/+$/, "");
    this.credentials = creds;
    this.auth = authorizationHeader(creds);
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.policy = { ...DEFAULT_RETRY, ...(o.retry ?? {}) };
    this.dispatcher = o.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connect: { timeout: Math.min(this.timeoutMs, 10_000) } });
    this.logger = o.logger;
    this.sleep = o.sleep ?? realSleep;
  }

  /** Secret-free text for logs. */
  redact(text: string): string {
    return redact(text, this.credentials);
  }

  /** A call that is safe to repeat (reads, idempotent writes), with retries. */
  async call<T>(spec: RequestSpec): Promise<T> {
    return this.retrying((_n) => this.once<T>(spec));
  }

  /** Retries with this transport's policy; `attempt` sees the previous error (for check-before-resend). */
  retrying<T>(attempt: (n: number, previous: MlflowError | undefined) => Promise<T>): Promise<T> {
    return withRetries(attempt, isMlflowError, this.policy, this.sleep, (e, n, delay) =>
      this.logger?.debug?.(`mlflow: ${e.message}; retry ${n}/${this.policy.tries - 1} in ${delay} ms`),
    );
  }

  /** Exactly one HTTP exchange. Throws MlflowError for every failure. */
  async once<T>(spec: RequestSpec): Promise<T> {
    const url = new URL(this.baseUrl + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.auth) headers.authorization = this.auth;
    let body: Buffer | Uint8Array | string | Readable | undefined;
    if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers["content-type"] = "application/json";
    } else if (spec.body) {
      body = spec.body();
      headers["content-type"] = spec.contentType ?? "application/octet-stream";
    }
    const where = `${spec.method} ${spec.path}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: spec.method,
        headers,
        body,
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(spec.timeoutMs ?? this.timeoutMs),
        headersTimeout: spec.timeoutMs ?? this.timeoutMs,
        bodyTimeout: spec.timeoutMs ?? this.timeoutMs,
      });
    } catch (e) {
      throw this.networkError(e, spec, where);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      throw this.networkError(e, spec, where);
    }
    if (res.statusCode >= 200 && res.statusCode < 300) {
      if (text === "") return {} as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        // Artifact downloads and some proxies answer with non-JSON; hand back the text.
        return text as T;
      }
    }
    let errorCode: string | undefined;
    let message = text.slice(0, 500);
    try {
      const j = JSON.parse(text) as { error_code?: string; message?: string };
      errorCode = j.error_code;
      if (j.message) message = j.message;
    } catch {
      /* not JSON: keep the raw text */
    }
    const status = res.statusCode;
    const retryable = RETRYABLE_STATUS.has(status);
    throw new MlflowError(this.redact(`${where} -> ${status}${errorCode ? ` ${errorCode}` : ""}: ${message}`), {
      method: spec.method,
      path: spec.path,
      status,
      errorCode,
      retryable,
      // 429/503 say "not served, come later"; other 5xx may come after the write was done.
      ambiguous: retryable && status !== 429 && status !== 503,
      retryAfterMs: status === 429 || status === 503 ? parseRetryAfter(res.headers["retry-after"]) : undefined,
    });
  }

  private networkError(e: unknown, spec: RequestSpec, where: string): MlflowError {
    const err = e as { code?: unknown; name?: string; message?: string; cause?: { code?: unknown } };
    // Node errors carry a string code; an abort (our timeout signal) is a DOMException with a numeric one.
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    const code = str(err.code) ?? str(err.cause?.code) ?? err.name ?? "ERROR";
    const unreachable = UNREACHABLE_CODES.has(code);
    const timeout = code === "TimeoutError" || code === "AbortError" || code.includes("TIMEOUT");
    return new MlflowError(this.redact(`${where} -> ${timeout ? "timeout" : "network error"} ${code}: ${err.message ?? String(e)}`), {
      method: spec.method,
      path: spec.path,
      retryable: true,
      ambiguous: !unreachable,
      unreachable,
    });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
