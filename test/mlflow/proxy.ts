// A loopback HTTP proxy in front of the real MLflow server, to make the failures the client must
// survive: a response lost after the server applied the request, 429s, and the server vanishing.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { request } from "undici";

export interface Seen {
  method: string;
  path: string;
  body: string;
}

/** drop-response: forward, then cut the connection; drop-then-down: the same, then stop listening. */
type Action = "drop-response" | "drop-then-down" | { status: number; headers?: Record<string, string> };
type Rule = (req: Seen) => "pass" | Action;

export class FlakyProxy {
  readonly seen: Seen[] = [];
  /** Requests actually forwarded to MLflow. */
  readonly forwarded: Seen[] = [];
  /** Consulted per request, first match wins; a rule is removed after it fires once. */
  rules: Rule[] = [];
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly upstream: string) {}

  get uri(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (again) on the same port once it has one. */
  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and cuts open connections: clients then get ECONNREFUSED. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** Sum of metric points in forwarded log-batch bodies. */
  forwardedMetricPoints(): number {
    return this.forwarded
      .filter((r) => r.path.includes("/runs/log-batch"))
      .reduce((n, r) => n + ((JSON.parse(r.body) as { metrics?: unknown[] }).metrics?.length ?? 0), 0);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const seen: Seen = { method: req.method ?? "GET", path: req.url ?? "/", body: body.toString("utf8") };
    this.seen.push(seen);
    let action: ReturnType<Rule> = "pass";
    for (let i = 0; i < this.rules.length; i++) {
      const a = this.rules[i]!(seen);
      if (a !== "pass") {
        action = a;
        this.rules.splice(i, 1);
        break;
      }
    }
    if (typeof action === "object") {
      res.writeHead(action.status, { "content-type": "application/json", ...(action.headers ?? {}) });
      res.end(JSON.stringify({ error_code: "TEMPORARILY_UNAVAILABLE", message: "proxy says later" }));
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "connection") headers[k] = v;
    this.forwarded.push(seen);
    const up = await request(this.upstream + seen.path, {
      method: seen.method as "GET",
      headers,
      body: body.length ? body : undefined,
    });
    const upBody = Buffer.from(await up.body.arrayBuffer());
    if (action === "drop-response" || action === "drop-then-down") {
      // MLflow has applied the request; the client never hears of it.
      req.socket.destroy();
      if (action === "drop-then-down") await this.stop();
      return;
    }
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(up.headers)) if (typeof v === "string" && k !== "transfer-encoding" && k !== "connection") outHeaders[k] = v;
    res.writeHead(up.statusCode, outHeaders);
    res.end(upBody);
  }
}

export function onPath(fragment: string, action: Action): Rule {
  return (r) => (r.path.includes(fragment) ? action : "pass");
}
