// `memeops operator`: the controller process (the chart's Deployment runs this). Every flag has an environment
// variable, so a Helm chart can set either.
import { type Command, parseFlags, UsageError, wantsHelp } from "../command.ts";
import { extendedResourceName } from "../../api/v1alpha1/spec.ts";
import { k8sName } from "../../api/v1alpha1/schema-helpers.ts";
import { parseKeyValues } from "../../operator/builders/annotations.ts";
import { DEFAULT_GPU_RESOURCE_NAME } from "../../operator/builders/job.ts";
import { jsonLogger } from "../../api/contract/log.ts";
import { startManager } from "../../operator/manager.ts";
import type { ReportTls } from "../../operator/reporting/tls.ts";

const help = `Usage: memeops operator [flags]

Watch MemeExperiments, create the Jobs of their stages, and write their status back.

  --namespaces a,b            watch only these namespaces (env MEMEOPS_NAMESPACES; default: all)
  --metrics-port N            /metrics (env MEMEOPS_METRICS_PORT; default 8080)
  --health-port N             /healthz and /readyz (env MEMEOPS_HEALTH_PORT; default 8081)
  --report-port N             trainer reports, POST /v1/report (env MEMEOPS_REPORT_PORT; default 8082)
  --report-url URL            the URL trainer pods reach that port at (env MEMEOPS_REPORT_URL),
                              e.g. http://memeops-operator.memeops-system.svc:8082
  --report-tls-cert FILE      serve the report port over HTTPS with this certificate (PEM; env
  --report-tls-key FILE       MEMEOPS_REPORT_TLS_CERT, MEMEOPS_REPORT_TLS_KEY); both or neither; re-read
                              when the files change (a renewed Secret). The report URL is then https://
  --report-tls-ca FILE        the CA trainers verify that certificate with, passed to them as
                              MEMEOPS_REPORT_CA (env MEMEOPS_REPORT_TLS_CA; default: the system's roots)
  --leader-elect              elect a leader on a Lease (env MEMEOPS_LEADER_ELECT=true)
  --leader-election-namespace the Lease's namespace (env POD_NAMESPACE; default "default")
  --trainer-image IMG         default trainer image (env MEMEOPS_TRAINER_IMAGE)
  --gpu-resource-name NAME    extended resource GPUs are requested as when an experiment leaves
                              spec.resources.gpuResourceName unset (env MEMEOPS_GPU_RESOURCE_NAME;
                              default nvidia.com/gpu), e.g. amd.com/gpu
  --models-claim NAME         a PersistentVolumeClaim of model files, mounted read-only at /models (as
                              MEMEOPS_MODEL_DIR) in every trainer Job; it must exist in each namespace
                              experiments run in (env MEMEOPS_MODELS_CLAIM; the chart's models option)
  --mlflow-uri URI            default MLflow tracking URI (env MEMEOPS_MLFLOW_URI)
  --pod-labels k=v,k2=v2      labels added to every trainer pod (env MEMEOPS_POD_LABELS)
  --workers N                 concurrent reconciles (default 4)
  --kubeconfig FILE           default: in-cluster config, or $KUBECONFIG

Logs are JSON lines on stderr. SIGTERM stops gracefully and releases the Lease.`;

const port = (v: string | undefined, fallback: number) => {
  const n = Number(v ?? fallback);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`not a port: ${v}`);
  return n;
};

/** The same check the CRD applies to spec.resources.gpuResourceName, so the flag cannot name what a Pod may not request. */
export function gpuResourceName(value: string): string {
  const r = extendedResourceName().safeParse(value);
  if (!r.success) throw new UsageError(`--gpu-resource-name (env MEMEOPS_GPU_RESOURCE_NAME): ${JSON.stringify(value)} ${r.error.issues.map((i) => i.message).join("; ")}`);
  return r.data;
}

/** The models claim: a PersistentVolumeClaim name, so a typo stops the operator instead of every trainer pod. */
export function modelsClaim(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  const r = k8sName().safeParse(value);
  if (!r.success) throw new UsageError(`--models-claim (env MEMEOPS_MODELS_CLAIM): ${JSON.stringify(value)} ${r.error.issues.map((i) => i.message).join("; ")}`);
  return r.data;
}

/** The report endpoint's TLS files: a certificate needs its key (and the other way round), and trainers an https URL. */
export function reportTls(certFile: string | undefined, keyFile: string | undefined, caFile: string | undefined, reportUrl: string | undefined): ReportTls | undefined {
  if (!certFile && !keyFile) {
    if (caFile) throw new UsageError("--report-tls-ca needs --report-tls-cert and --report-tls-key");
    return undefined;
  }
  if (!certFile || !keyFile) throw new UsageError(`--report-tls-cert and --report-tls-key go together: only ${certFile ? "--report-tls-cert" : "--report-tls-key"} is set`);
  if (reportUrl && !reportUrl.startsWith("https://")) throw new UsageError(`--report-url must be https:// when the report port serves TLS: ${reportUrl}`);
  return { certFile, keyFile, ...(caFile && { caFile }) };
}

export const operatorCommand: Command = {
  name: "operator",
  summary: "run the operator (reconciles MemeExperiments into Jobs)",
  help,
  async run(args) {
    if (wantsHelp(args)) return (console.log(help), 0);
    const { values: f } = parseFlags(args, {
      namespaces: { type: "string" },
      "metrics-port": { type: "string" },
      "health-port": { type: "string" },
      "report-port": { type: "string" },
      "report-url": { type: "string" },
      "report-tls-cert": { type: "string" },
      "report-tls-key": { type: "string" },
      "report-tls-ca": { type: "string" },
      "leader-elect": { type: "boolean" },
      "leader-election-namespace": { type: "string" },
      "trainer-image": { type: "string" },
      "gpu-resource-name": { type: "string" },
      "mlflow-uri": { type: "string" },
      "models-claim": { type: "string" },
      "pod-labels": { type: "string" },
      workers: { type: "string" },
      kubeconfig: { type: "string" },
    });
    const env = process.env;
    const namespaces = (f.namespaces ?? env.MEMEOPS_NAMESPACES ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    const log = jsonLogger({ debug: env.MEMEOPS_DEBUG === "1" });
    const manager = await startManager({
      kubeconfig: f.kubeconfig,
      namespaces,
      metricsPort: port(f["metrics-port"] ?? env.MEMEOPS_METRICS_PORT, 8080),
      healthPort: port(f["health-port"] ?? env.MEMEOPS_HEALTH_PORT, 8081),
      reportPort: port(f["report-port"] ?? env.MEMEOPS_REPORT_PORT, 8082),
      reportUrl: f["report-url"] ?? env.MEMEOPS_REPORT_URL,
      reportTls: reportTls(f["report-tls-cert"] ?? env.MEMEOPS_REPORT_TLS_CERT, f["report-tls-key"] ?? env.MEMEOPS_REPORT_TLS_KEY, f["report-tls-ca"] ?? env.MEMEOPS_REPORT_TLS_CA, f["report-url"] ?? env.MEMEOPS_REPORT_URL),
      leaderElect: f["leader-elect"] ?? env.MEMEOPS_LEADER_ELECT === "true",
      leaseNamespace: f["leader-election-namespace"] ?? env.POD_NAMESPACE ?? "default",
      leaseDurationMs: env.MEMEOPS_LEASE_DURATION_MS ? Number(env.MEMEOPS_LEASE_DURATION_MS) : undefined,
      renewDeadlineMs: env.MEMEOPS_RENEW_DEADLINE_MS ? Number(env.MEMEOPS_RENEW_DEADLINE_MS) : undefined,
      retryPeriodMs: env.MEMEOPS_RETRY_PERIOD_MS ? Number(env.MEMEOPS_RETRY_PERIOD_MS) : undefined,
      trainerImage: f["trainer-image"] ?? env.MEMEOPS_TRAINER_IMAGE ?? "ghcr.io/memeops/trainer:latest",
      gpuResourceName: gpuResourceName(f["gpu-resource-name"] ?? env.MEMEOPS_GPU_RESOURCE_NAME ?? DEFAULT_GPU_RESOURCE_NAME),
      defaultTrackingUri: f["mlflow-uri"] ?? env.MEMEOPS_MLFLOW_URI,
      podLabels: parseKeyValues(f["pod-labels"] ?? env.MEMEOPS_POD_LABELS),
      modelsClaim: modelsClaim(f["models-claim"] ?? env.MEMEOPS_MODELS_CLAIM),
      workers: f.workers ? Number(f.workers) : undefined,
      log,
    });
    const stop = () => void manager.stop();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    await manager.done;
    return 0;
  },
};
