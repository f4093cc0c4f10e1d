// The trainer's side of reporting (what `memeops trainer` calls): progress and results POSTed to the operator with
// the pod's projected token, and the final result also written as the container's termination message, which the
// operator reads before it lets the pod go. Never throws into training: a lost progress report is only logged.
import { readFileSync, writeFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { Agent, request } from "undici";
import { REPORT_PATH, terminationMessage, type ProgressReport, type ResultReport } from "../../../api/contract/reports.ts";

export interface ReporterOptions {
  url?: string;
  tokenFile?: string;
  /** the CA (PEM) an https url is verified with, besides the system's roots (MEMEOPS_REPORT_CA) */
  ca?: string;
  terminationMessagePath?: string;
  timeoutMs?: number;
  warn?: (msg: string) => void;
}

export class Reporter {
  private readonly dispatcher?: Agent;

  constructor(private readonly o: ReporterOptions) {
    // Node's `ca` replaces the default roots: keep them, so a publicly signed endpoint still verifies.
    if (o.ca) this.dispatcher = new Agent({ connect: { ca: [...rootCertificates, o.ca] } });
  }

  /** From the environment the operator gives trainer pods (MEMEOPS_REPORT_URL, MEMEOPS_REPORT_TOKEN_FILE, ...). */
  static fromEnv(env: Record<string, string | undefined> = process.env, o: Pick<ReporterOptions, "timeoutMs" | "warn"> = {}): Reporter {
    return new Reporter({ ...o, url: env.MEMEOPS_REPORT_URL, tokenFile: env.MEMEOPS_REPORT_TOKEN_FILE, ca: env.MEMEOPS_REPORT_CA, terminationMessagePath: env.MEMEOPS_TERMINATION_MESSAGE_PATH });
  }

  /** Where training is; pass `epochMetrics` when an epoch has just finished. */
  progress(p: Omit<ProgressReport, "kind">): Promise<boolean> {
    return this.post({ kind: "progress", ...p });
  }

  /** Final results: written to the termination message first (survives anything), then POSTed. */
  async result(r: Omit<ResultReport, "kind">): Promise<boolean> {
    const full: ResultReport = { kind: "result", ...r };
    if (this.o.terminationMessagePath) {
      try {
        writeFileSync(this.o.terminationMessagePath, terminationMessage(full));
      } catch (err) {
        this.warn(`termination message not written: ${String(err)}`);
      }
    }
    return this.post(full);
  }

  private async post(body: ProgressReport | ResultReport): Promise<boolean> {
    if (!this.o.url) return false;
    try {
      // Re-read each time: the kubelet rotates the projected token.
      const token = this.o.tokenFile ? readFileSync(this.o.tokenFile, "utf8").trim() : "";
      const res = await request(new URL(REPORT_PATH, this.o.url), {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        // A fresh connection per report: training blocks the event loop for longer than a server's keep-alive
        // timeout, so a pooled socket is often already closed by the other side ("other side closed").
        reset: true,
        ...(this.dispatcher && { dispatcher: this.dispatcher }),
        headersTimeout: this.o.timeoutMs ?? 10_000,
        bodyTimeout: this.o.timeoutMs ?? 10_000,
      });
      const text = await res.body.text();
      if (res.statusCode >= 300) this.warn(`report refused (${res.statusCode}): ${text.slice(0, 300)}`);
      return res.statusCode < 300;
    } catch (err) {
      this.warn(`report not delivered: ${String(err)}`);
      return false;
    }
  }

  private warn(msg: string): void {
    (this.o.warn ?? ((m: string) => process.stderr.write(`memeops reporter: ${m}\n`)))(msg);
  }
}
