// Small shared pieces of the MLflow tests.
import { randomUUID } from "node:crypto";
import { request } from "undici";
import { expect } from "vitest";
import { MlflowClient } from "../../tracking/mlflow/client.ts";
import type { TransportOptions } from "../../tracking/mlflow/http.ts";
import type { Logger } from "../../api/contract/log.ts";

export function uniq(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Fast retries, so failure tests take seconds, not minutes. */
export function fastClient(trackingUri: string, o: Partial<TransportOptions> = {}): MlflowClient {
  return new MlflowClient({ trackingUri, timeoutMs: 10_000, retry: { baseDelayMs: 50, maxDelayMs: 200 }, ...o });
}

export interface RecordingLogger extends Logger {
  lines: { level: "debug" | "info" | "warn" | "error"; msg: string }[];
  count(level: "info" | "warn" | "error"): number;
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger["lines"] = [];
  return {
    lines,
    debug: (msg) => lines.push({ level: "debug", msg }),
    info: (msg) => lines.push({ level: "info", msg }),
    warn: (msg) => lines.push({ level: "warn", msg }),
    error: (msg) => lines.push({ level: "error", msg }),
    count: (level) => lines.filter((l) => l.level === level).length,
  };
}

/** The server's REST API at `uri`: a GET without a body, a POST with one; the answer must be 200. */
export function restApi(uri: string) {
  return async (path: string, body?: unknown) => {
    const r = await request(`${uri}/api/2.0/mlflow/${path}`, body === undefined
      ? { method: "GET" }
      : { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
    expect(r.statusCode).toBe(200);
    return (await r.body.json()) as any;
  };
}
