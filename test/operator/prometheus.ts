// Prometheus from Debian's prometheus package (install-prometheus.sh): promtool for the /metrics lint, and a real
// server on loopback that scrapes the operator, queried through its HTTP API like Grafana's data source does.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { freePort } from "../free-port.ts";

const here = dirname(fileURLToPath(import.meta.url));

/** The path of one of the package's binaries, installed into ~/.cache/memeops on first use. */
export function prometheusBinary(name: "prometheus" | "promtool"): string {
  const r = spawnSync("bash", [join(here, "install-prometheus.sh"), name], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`install-prometheus.sh ${name} failed: ${r.stderr}`);
  return r.stdout.trim();
}

export interface ScrapeTarget {
  /** host:port serving /metrics */
  address: string;
  /** labels the target adds to every series it exposes (as a ServiceMonitor's relabelling would) */
  labels: Record<string, string>;
  /** keep the target's own label values on a clash (a ServiceMonitor's honorLabels) */
  honorLabels: boolean;
}

export type Labels = Record<string, string>;
/** One series of an answer: an instant vector's single value, or a range's points; values as Prometheus writes them. */
export interface Series {
  metric: Labels;
  values: [number, string][];
}

/** Prometheus answered with an error (e.g. a PromQL parse error), with the query it was about. */
export class QueryError extends Error {}

export class PrometheusServer {
  private constructor(
    readonly url: string,
    readonly scrapeIntervalS: number,
    private readonly proc: ChildProcess,
    private readonly dir: string,
    private readonly exited: Promise<unknown>,
  ) {}

  /** A fresh server (random free port, its own temp dir for config and TSDB) scraping `targets` every `scrapeIntervalS`. */
  static async start(targets: ScrapeTarget[], scrapeIntervalS: number): Promise<PrometheusServer> {
    const bin = prometheusBinary("prometheus");
    const dir = mkdtempSync(join(tmpdir(), "memeops-prometheus-"));
    const config = {
      global: { scrape_interval: `${scrapeIntervalS}s`, scrape_timeout: `${scrapeIntervalS}s`, evaluation_interval: `${scrapeIntervalS}s` },
      scrape_configs: targets.map((t, i) => ({ job_name: t.labels.job ?? `target-${i}`, honor_labels: t.honorLabels, metrics_path: "/metrics", static_configs: [{ targets: [t.address], labels: t.labels }] })),
    };
    writeFileSync(join(dir, "prometheus.yml"), stringify(config));
    // The port is free when chosen; another process may take it before Prometheus binds: then try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const log = join(dir, "prometheus.log");
      const out = openSync(log, "w");
      const proc = spawn(bin, [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"], { stdio: ["ignore", out, out] });
      closeSync(out);
      const exited = once(proc, "exit");
      const server = new PrometheusServer(`http://127.0.0.1:${port}`, scrapeIntervalS, proc, dir, exited);
      const outcome = await Promise.race([exited.then(() => "exited" as const), server.ready()]);
      if (outcome === true) return server;
      const text = readFileSync(log, "utf8");
      await server.stop({ keepDir: true });
      if (outcome === "exited" && /address already in use/.test(text) && attempt < 5) continue;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`prometheus did not become ready (${outcome === "exited" ? "it exited" : "timeout"}):\n${text.split("\n").slice(-20).join("\n")}`);
    }
  }

  private async ready(timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const ok = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
      if (ok) return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  }

  private async api<T>(path: string, params: Record<string, string | string[]>): Promise<T> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) query.append(k, one);
    const res = await fetch(`${this.url}/api/v1/${path}?${query}`, { signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    const json = JSON.parse(text.startsWith("{") ? text : JSON.stringify({ status: "error", error: `HTTP ${res.status}: ${text.slice(0, 200)}` })) as { status: string; data: T; error?: string; errorType?: string };
    if (json.status !== "success") throw new QueryError(`${path} ${JSON.stringify(params)}: ${json.errorType}: ${json.error}`);
    return json.data;
  }

  /** An instant query at `time` (seconds); each series has one value. */
  async query(expr: string, time: number): Promise<Series[]> {
    const data = await this.api<{ resultType: string; result: { metric: Labels; value?: [number, string]; values?: [number, string][] }[] }>("query", { query: expr, time: String(time) });
    if (data.resultType === "scalar" || data.resultType === "string") return [{ metric: {}, values: [data.result as unknown as [number, string]] }];
    return data.result.map((r) => ({ metric: r.metric, values: r.value ? [r.value] : (r.values ?? []) }));
  }

  /** A range query from `start` to `end` (seconds) every `step` seconds. */
  async queryRange(expr: string, start: number, end: number, step: number): Promise<Series[]> {
    const data = await this.api<{ result: { metric: Labels; values: [number, string][] }[] }>("query_range", { query: expr, start: String(start), end: String(end), step: String(step) });
    return data.result;
  }

  /** The values of `label` on the series `match` selects between start and end (Grafana's label_values(SELECTOR, LABEL)). */
  labelValues(label: string, match: string, start: number, end: number): Promise<string[]> {
    return this.api<string[]>(`label/${encodeURIComponent(label)}/values`, { "match[]": match, start: String(start), end: String(end) });
  }

  /** Stop the server (SIGTERM, SIGKILL after 10 s) and remove its directory. */
  async stop(o: { keepDir?: boolean } = {}): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGTERM");
      const t = setTimeout(() => this.proc.kill("SIGKILL"), 10_000);
      await this.exited;
      clearTimeout(t);
    }
    if (!o.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
