// The operator's HTTP servers: /metrics, /healthz and /readyz (ready once the caches are complete), and the trainer
// report endpoint (optionally over TLS). A port left undefined is not served.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { REPORT_PATH } from "../../api/contract/reports.ts";
import type { Logger } from "../../api/contract/log.ts";
import type { OperatorMetrics } from "../metrics.ts";
import { httpsServer, type ReportTls } from "../reporting/tls.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpOptions {
  host: string;
  metricsPort?: number;
  healthPort?: number;
  reportPort?: number;
  reportTls?: ReportTls;
  metrics: OperatorMetrics;
  synced: () => boolean;
  reports: Handler;
  log: Logger;
}

export interface HttpServers {
  ports: { metrics?: number; health?: number; report?: number };
  close(): void;
}

export async function startHttpServers(o: HttpOptions): Promise<HttpServers> {
  const servers: Server[] = [];
  const listen = async (port: number | undefined, handler: Handler, tls?: ReportTls) => {
    if (port === undefined) return undefined;
    const serve = (req: IncomingMessage, res: ServerResponse) => void handler(req, res);
    const server = tls ? httpsServer(tls, serve, { warn: (msg, fields) => o.log.warn(msg, fields) }) : createServer(serve);
    servers.push(server);
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, o.host, resolve));
    return (server.address() as AddressInfo).port;
  };
  const ports = {
    metrics: await listen(o.metricsPort, async (req, res) => {
      if (req.url !== "/metrics") return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": o.metrics.registry.contentType }).end(await o.metrics.registry.metrics());
    }),
    health: await listen(o.healthPort, (req, res) => {
      if (req.url === "/healthz") return void res.writeHead(200).end("ok");
      if (req.url === "/readyz") return void (o.synced() ? res.writeHead(200).end("ok") : res.writeHead(503).end("informers not synced"));
      res.writeHead(404).end();
    }),
    report: await listen(o.reportPort, (req, res) => (req.url === REPORT_PATH ? o.reports(req, res) : void res.writeHead(404).end()), o.reportTls),
  };
  return {
    ports,
    close: () => {
      for (const s of servers) s.closeAllConnections(), s.close();
    },
  };
}
