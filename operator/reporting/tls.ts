// TLS for the report endpoint. The operator serves it with a certificate and key read from files (in the chart, a
// mounted kubernetes.io/tls Secret, which the kubelet replaces in place when cert-manager renews it: the pair is read
// again when the files change), and passes trainer pods the CA to trust (MEMEOPS_REPORT_CA), since the bearer token
// they send must not cross the network in clear text.
import { readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";

export interface ReportTls {
  certFile: string;
  keyFile: string;
  /** the CA trainers verify the certificate with (PEM); unset: the system's roots */
  caFile?: string;
}

function read(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`report TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** The certificate and key as PEM; errors name the file. */
export function readKeyPair(tls: ReportTls): { cert: string; key: string } {
  return { cert: read(tls.certFile, "certificate"), key: read(tls.keyFile, "key") };
}

/** The CA trainers are told to trust, read once at start; undefined without a CA file. */
export function readTrustedCa(tls: ReportTls | undefined): string | undefined {
  return tls?.caFile ? read(tls.caFile, "CA") : undefined;
}

const stamp = (tls: ReportTls) => [tls.certFile, tls.keyFile].map((f) => statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? -1).join(",");

/**
 * An HTTPS server whose certificate follows its files: checked every `reloadMs`, swapped in for new connections when
 * either file changed. A pair that does not load (e.g. caught between the two writes) keeps the old one until the
 * next check.
 */
export function httpsServer(
  tls: ReportTls,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  o: { reloadMs?: number; warn?: (msg: string, fields: Record<string, unknown>) => void } = {},
): Server {
  const server = createServer(readKeyPair(tls), handler);
  let loaded = stamp(tls);
  const timer = setInterval(() => {
    const now = stamp(tls);
    if (now === loaded) return;
    try {
      server.setSecureContext(readKeyPair(tls));
      loaded = now;
    } catch (err) {
      o.warn?.("report TLS pair not reloaded", { err: String((err as Error).message ?? err) });
    }
  }, o.reloadMs ?? 30_000);
  timer.unref();
  server.once("close", () => clearInterval(timer));
  return server;
}
