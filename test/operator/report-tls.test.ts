// The report endpoint over TLS in a running operator: trainer Jobs carry the https URL and the CA, a trainer's
// Reporter built from that env writes progress through TokenReview as over HTTP, and plain HTTP gets nowhere.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { kubectlJson, waitFor } from "../cluster/kubectl.ts";
import { apply, experiment, getExperiment, podTokenFile, operatorPerFile, type Obj } from "./operator-harness.ts";
import { Reporter } from "../../trainer-image/src/stages/reporter.ts";
import { selfSigned } from "./self-signed.ts";

const REPORT_URL = "https://memeops-operator.memeops-system.svc:8082";
const tls = selfSigned(mkdtempSync(join(tmpdir(), "memeops-report-tls-")), "memeops-report");
const cluster = operatorPerFile("memeops-report-tls", { reportUrl: REPORT_URL, reportTls: { certFile: tls.certFile, keyFile: tls.keyFile, caFile: tls.certFile } });

describe("report endpoint over TLS", () => {
  test("Jobs carry the https URL and the CA; a trainer reports with them; plain HTTP is refused", async () => {
    apply(experiment(cluster.ns, "tls"));
    const pod: Obj = await waitFor("pod running", () => kubectlJson(["get", "pods", "-n", cluster.ns, "-l", "memeops.io/experiment=tls"]).items.find((p: Obj) => p.status.phase === "Running"));
    const podEnv = Object.fromEntries((pod.spec.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    expect(podEnv.MEMEOPS_REPORT_URL).toBe(REPORT_URL);
    expect(podEnv.MEMEOPS_REPORT_CA).toBe(tls.cert);

    // The pod's env, with the URL the test reaches the operator at (the Service name does not resolve here).
    const local = `https://127.0.0.1:${cluster.op.ports.report}`;
    const reporter = Reporter.fromEnv({ ...podEnv, MEMEOPS_REPORT_URL: local, MEMEOPS_REPORT_TOKEN_FILE: podTokenFile(pod), MEMEOPS_TERMINATION_MESSAGE_PATH: undefined });
    const epoch = { epoch: 1, trainLoss: 0.6, valLoss: 0.62, valAuroc: 0.69, valAccuracy: 0.6, valF1: 0.55 };
    expect(await reporter.progress({ stage: "train", epoch: 1, totalEpochs: 2, epochMetrics: epoch })).toBe(true);
    expect(getExperiment(cluster.ns, "tls").status.epochs).toEqual([epoch]);

    // plain HTTP on the TLS port: no answer but a failed request or a 4xx
    const plain = await fetch(`http://127.0.0.1:${cluster.op.ports.report}/v1/report`, { method: "POST", body: "{}" }).then((r) => r.status, () => "refused");
    expect(plain === "refused" || (plain as number) >= 400).toBe(true);
  });
});
