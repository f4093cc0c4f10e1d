// The report endpoint over TLS: the operator's HTTPS server (certificate re-read when its files change), the
// trainer's Reporter trusting the CA it is given (and refusing an unknown certificate), the flags and the Job's env.
import { mkdtempSync, writeFileSync } from "node:fs";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../../cli/command.ts";
import { reportTls } from "../../../cli/commands/operator.ts";
import { mustParseMemeExperiment } from "../../../api/v1alpha1/parse.ts";
import { buildJob } from "../../../operator/builders/job.ts";
import { Reporter } from "../../../trainer-image/src/stages/reporter.ts";
import { REPORT_PATH } from "../../../api/contract/reports.ts";
import { httpsServer, readKeyPair, readTrustedCa } from "../../../operator/reporting/tls.ts";
import { selfSigned } from "../../operator/self-signed.ts";

const dir = mkdtempSync(join(tmpdir(), "memeops-report-tls-"));
const { certFile, keyFile } = selfSigned(dir, "memeops-report-0");
const tokenFile = join(dir, "token");

/** The CN of the certificate a new TLS connection is served. */
const servedCn = (port: number, ca: string) =>
  new Promise<string>((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, ca }, () => {
      resolve(String(s.getPeerCertificate().subject.CN));
      s.end();
    }).once("error", reject);
  });

let server: Server;
let url = "";
let firstCa = "";
const received: { authorization?: string; body: string }[] = [];

beforeAll(async () => {
  firstCa = selfSigned(dir, "memeops-report-1").cert;
  writeFileSync(tokenFile, "pod-token\n");
  server = httpsServer({ certFile, keyFile }, (req, res) => {
    let body = "";
    req.on("data", (c) => (body += c)).on("end", () => {
      received.push({ authorization: req.headers.authorization, body });
      res.writeHead(req.url === REPORT_PATH ? 200 : 404, { "content-type": "application/json" }).end('{"phase":null}');
    });
  }, { reloadMs: 50 });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server?.close());

describe("report endpoint over TLS", () => {
  it("a trainer given the CA (MEMEOPS_REPORT_CA) reports; without it the certificate is refused", async () => {
    const reporter = Reporter.fromEnv({ MEMEOPS_REPORT_URL: url, MEMEOPS_REPORT_TOKEN_FILE: tokenFile, MEMEOPS_REPORT_CA: firstCa });
    expect(await reporter.progress({ stage: "train", epoch: 1 })).toBe(true);
    expect(received.at(-1)).toMatchObject({ authorization: "Bearer pod-token" });
    expect(JSON.parse(received.at(-1)!.body)).toMatchObject({ kind: "progress", stage: "train", epoch: 1 });

    const warnings: string[] = [];
    const before = received.length;
    const stranger = Reporter.fromEnv({ MEMEOPS_REPORT_URL: url, MEMEOPS_REPORT_TOKEN_FILE: tokenFile }, { warn: (m) => warnings.push(m) });
    expect(await stranger.progress({ stage: "train" })).toBe(false);
    expect(warnings.join("\n")).toMatch(/self[- ]signed|certificate/i);
    expect(received.length).toBe(before); // the token never left the client
  });

  it("a renewed certificate is served to new connections without a restart", async () => {
    const port = (server.address() as AddressInfo).port;
    expect(await servedCn(port, firstCa)).toBe("memeops-report-1");
    const renewed = selfSigned(dir, "memeops-report-2").cert;
    let cn = "";
    for (let i = 0; i < 100 && cn !== "memeops-report-2"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      cn = await servedCn(port, renewed).catch(() => "");
    }
    expect(cn).toBe("memeops-report-2");
    expect(await Reporter.fromEnv({ MEMEOPS_REPORT_URL: url, MEMEOPS_REPORT_TOKEN_FILE: tokenFile, MEMEOPS_REPORT_CA: renewed }).progress({ stage: "evaluate" })).toBe(true);
  });

  it("a missing file is named", () => {
    expect(() => readKeyPair({ certFile: join(dir, "nope.crt"), keyFile })).toThrow(`report TLS certificate ${join(dir, "nope.crt")}: ENOENT`);
    expect(() => readTrustedCa({ certFile, keyFile, caFile: join(dir, "ca.crt") })).toThrow(`report TLS CA ${join(dir, "ca.crt")}: ENOENT`);
    expect(readTrustedCa({ certFile, keyFile })).toBeUndefined();
  });
});

describe("--report-tls-cert / --report-tls-key / --report-tls-ca", () => {
  it("both or neither, a CA only with them, and an https report URL", () => {
    expect(reportTls(undefined, undefined, undefined, "http://op:8082")).toBeUndefined();
    expect(reportTls("c", "k", "ca", "https://op:8082")).toEqual({ certFile: "c", keyFile: "k", caFile: "ca" });
    expect(reportTls("c", "k", undefined, undefined)).toEqual({ certFile: "c", keyFile: "k" });
    for (const [args, why] of [
      [["c", undefined, undefined, undefined], /only --report-tls-cert is set/],
      [[undefined, "k", undefined, undefined], /only --report-tls-key is set/],
      [[undefined, undefined, "ca", undefined], /--report-tls-ca needs/],
      [["c", "k", undefined, "http://op:8082"], /--report-url must be https:\/\//],
    ] as const) {
      expect(() => reportTls(...(args as unknown as Parameters<typeof reportTls>))).toThrow(UsageError);
      expect(() => reportTls(...(args as unknown as Parameters<typeof reportTls>))).toThrow(why);
    }
  });

  it("trainer pods get the CA with the report URL", () => {
    const exp = mustParseMemeExperiment({ apiVersion: "memeops.io/v1alpha1", kind: "MemeExperiment", metadata: { name: "e" }, spec: { dataset: { source: { synthetic: {} } } } });
    const env = (settings: { reportUrl?: string; reportCa?: string }) =>
      Object.fromEntries(
        ((buildJob({ name: "e", namespace: "ns", uid: "u" }, exp.spec, { key: "run", stages: ["prepare"] }, {}, { trainerImage: "img", ...settings }).spec.template as any).spec.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]), // eslint-disable-line @typescript-eslint/no-explicit-any
      );
    expect(env({ reportUrl: "https://op:8082", reportCa: firstCa })).toMatchObject({ MEMEOPS_REPORT_URL: "https://op:8082", MEMEOPS_REPORT_CA: firstCa });
    expect(env({ reportUrl: "https://op:8082" }).MEMEOPS_REPORT_CA).toBeUndefined();
    expect(env({ reportCa: firstCa }).MEMEOPS_REPORT_CA).toBeUndefined(); // no endpoint, nothing to trust
  });
});
