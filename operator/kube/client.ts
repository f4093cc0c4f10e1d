// The one door to the API server: JSON requests and watch streams over node:https, authenticated from a kubeconfig.
// Own code rather than client-node's generated APIs because we need (1) explicit patch content types, (2) a
// count of every request (the benchmark reports requests per experiment), (3) watch streams we can restart.
import { Agent, request as httpsRequest, type RequestOptions } from "node:https";
import { request as httpRequest } from "node:http";
import type { Connection } from "./kubeconfig.ts";
import { resourceOf } from "./paths.ts";

export const CONTENT = {
  json: "application/json",
  mergePatch: "application/merge-patch+json",
  jsonPatch: "application/json-patch+json",
  strategicMergePatch: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
} as const;

/** A non-2xx answer, with the Status object's reason (e.g. AlreadyExists, Conflict, NotFound). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
export const isNotFound = (e: unknown) => e instanceof ApiError && e.code === 404;
export const isConflict = (e: unknown) => e instanceof ApiError && e.code === 409 && e.reason === "Conflict";
export const isAlreadyExists = (e: unknown) => e instanceof ApiError && e.code === 409 && e.reason === "AlreadyExists";

export interface RequestInit {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
}

export interface WatchEvent<T> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

export class KubeClient {
  /** Requests sent, by verb: what the benchmark counts. */
  readonly requests = new Map<string, number>();
  /** Requests sent, by `VERB resource` (e.g. `PATCH memeexperiments/status`): where the writes go. */
  readonly requestsByResource = new Map<string, number>();
  private readonly server: URL;
  /** One keep-alive agent: client-node would build a new one (a new TLS handshake) for every request. */
  private agent?: Agent;

  /** `onRequest` is told the verb and resource of each request as it is sent (the operator's request counter). */
  constructor(
    private readonly conn: Connection,
    private readonly onRequest?: (verb: string, resource: string) => void,
  ) {
    this.server = conn.server;
  }

  get requestCount(): number {
    let n = 0;
    for (const v of this.requests.values()) n += v;
    return n;
  }

  private async options(method: string, path: string, query?: RequestInit["query"]): Promise<RequestOptions & { url: URL }> {
    const url = new URL(this.server.toString().replace(/\/$/, "") + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const c = this.conn;
    const token = c.token?.();
    const opts: RequestOptions & { url: URL } = { method, headers: { accept: "application/json", ...(token && { authorization: `Bearer ${token}` }) }, url };
    await c.authenticate?.(opts);
    if (url.protocol === "https:") {
      this.agent ??= new Agent({
        keepAlive: true,
        ca: c.ca ?? opts.ca,
        cert: c.cert ?? opts.cert,
        key: c.key ?? opts.key,
        rejectUnauthorized: !(c.insecureSkipTLSVerify || opts.rejectUnauthorized === false),
        ...((c.tlsServerName ?? opts.servername) && { servername: c.tlsServerName ?? opts.servername }),
      });
      opts.agent = this.agent;
    }
    return opts;
  }

  private send(opts: RequestOptions & { url: URL }, body?: string) {
    const verb = `${opts.method} ${opts.url.searchParams.get("watch") ? "watch" : ""}`.trim();
    const resource = resourceOf(opts.url.pathname);
    this.requests.set(verb, (this.requests.get(verb) ?? 0) + 1);
    const byResource = `${verb} ${resource}`;
    this.requestsByResource.set(byResource, (this.requestsByResource.get(byResource) ?? 0) + 1);
    this.onRequest?.(verb, resource);
    const { url, ...rest } = opts;
    const fn = url.protocol === "https:" ? httpsRequest : httpRequest;
    return fn(url, rest).end(body);
  }

  async request<T = unknown>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    const opts = await this.options(method, path, init.query);
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    if (body !== undefined) opts.headers = { ...opts.headers, "content-type": init.contentType ?? CONTENT.json };
    return new Promise<T>((resolve, reject) => {
      const req = this.send(opts, body);
      const deadline = setTimeout(() => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)), 30_000);
      req.on("close", () => clearTimeout(deadline));
      req.on("error", reject);
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = undefined;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) return resolve(parsed as T);
          const status = (parsed ?? {}) as { reason?: string; message?: string };
          reject(new ApiError(code, status.reason ?? "", `${method} ${path}: ${code} ${status.message ?? text.slice(0, 300)}`));
        });
      });
    });
  }

  /**
   * Stream a watch; resolves when the server ends it (the caller re-watches), rejects on transport errors.
   * An in-stream ERROR event (e.g. 410 Gone) is passed to onEvent like any other.
   */
  async watch<T>(path: string, query: RequestInit["query"], onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    const opts = await this.options("GET", path, { ...query, watch: 1, allowWatchBookmarks: true });
    return new Promise<void>((resolve, reject) => {
      const req = this.send(opts);
      const abort = () => req.destroy();
      signal.addEventListener("abort", abort, { once: true });
      const done = (err?: Error) => {
        signal.removeEventListener("abort", abort);
        if (err && !signal.aborted) reject(err);
        else resolve();
      };
      req.on("error", done);
      req.on("response", (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          res.resume();
          return done(new ApiError(res.statusCode ?? 0, res.statusCode === 410 ? "Expired" : "", `watch ${path}: ${res.statusCode}`));
        }
        let buf = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            try {
              onEvent(JSON.parse(line) as WatchEvent<T>);
            } catch (err) {
              // a handler refusing an event (e.g. 410 Gone in-stream) ends this watch; the caller restarts it
              req.destroy();
              return done(err as Error);
            }
          }
        });
        res.on("end", () => done());
        res.on("error", done);
      });
    });
  }
}
