// The operator side of trainer reporting: POST /v1/report with a pod-bound projected token. The pod must be a
// trainer pod of a Job this experiment controls; then the report is merged into the status (conditional write,
// retried on conflicts, since the reconciler writes the same object).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MemeExperimentStatus } from "../../api/v1alpha1/status.ts";
import { LABEL } from "../builders/names.ts";
import { isConflict, isNotFound, type KubeClient } from "../kube/client.ts";
import type { Informer, KubeObject } from "../kube/informer.ts";
import { mergePatch, topLevelMergePatch } from "../kube/patch.ts";
import { paths } from "../kube/paths.ts";
import type { JobObject, PodObject } from "../kube/types.ts";
import type { Logger } from "../../api/contract/log.ts";
import type { OperatorMetrics } from "../metrics.ts";
import { isTerminal } from "../status/compute.ts";
import type { TokenAuthenticator } from "./authenticator.ts";
import { applyReport, report } from "../../api/contract/reports.ts";

const MAX_BODY = 64 * 1024;

export interface ReportDeps {
  client: KubeClient;
  auth: TokenAuthenticator;
  pods: Informer<PodObject>;
  jobs: Informer<JobObject>;
  metrics: OperatorMetrics;
  log: Logger;
}

type Experiment = KubeObject & { status?: MemeExperimentStatus };

class HttpError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export function reportHandler(d: ReportDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const reply = (code: number, body: unknown) => {
      res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    try {
      if (req.method !== "POST") throw new HttpError(405, "POST only");
      const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
      if (!token) throw new HttpError(401, "a bearer token (projected service-account token, audience memeops) is required");
      const body = await readBody(req);
      const parsed = report.safeParse(body);
      if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      const id = await d.auth.authenticate(token);
      if ("error" in id) throw new HttpError(401, id.error);
      const experiment = await experimentOfPod(d, id);
      const status = await writeReport(d, id.namespace, experiment, parsed.data);
      // The per-epoch gauges are the leader's, set from status.epochs as it reconciles this change.
      if (parsed.data.kind === "progress" && parsed.data.epochMetrics) d.metrics.epochsCompleted.inc();
      d.log.info("report", { experiment: `${id.namespace}/${experiment}`, pod: id.podName, kind: parsed.data.kind });
      reply(200, { phase: status.phase ?? null });
    } catch (err) {
      const code = err instanceof HttpError ? err.code : 500;
      if (code === 500) d.log.error("report failed", { err: String(err) });
      reply(code, { error: (err as Error).message });
    }
  };
}

/** The experiment a pod works for: by the chain pod -> Job (its controller) -> MemeExperiment (the Job's controller). */
async function experimentOfPod(d: ReportDeps, id: { namespace: string; podName: string; podUid: string }): Promise<string> {
  const pod =
    d.pods.get(`${id.namespace}/${id.podName}`) ??
    (await d.client.request<PodObject>("GET", paths.pod(id.namespace, id.podName)).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e))));
  if (!pod || pod.metadata.uid !== id.podUid) throw new HttpError(403, `pod ${id.podName} no longer exists`);
  const experiment = pod.metadata.labels?.[LABEL.experiment];
  const jobRef = pod.metadata.ownerReferences?.find((o) => o.controller && o.kind === "Job");
  const job = jobRef && d.jobs.get(`${id.namespace}/${jobRef.name}`);
  const owner = job?.metadata.ownerReferences?.find((o) => o.controller);
  if (!experiment || !job || job.metadata.uid !== jobRef.uid || owner?.name !== experiment) {
    throw new HttpError(403, `pod ${id.podName} is not a trainer pod of a MemeExperiment`);
  }
  return experiment;
}

async function writeReport(d: ReportDeps, namespace: string, name: string, r: ReturnType<typeof report.parse>): Promise<MemeExperimentStatus> {
  for (let attempt = 1; ; attempt++) {
    const exp = await d.client.request<Experiment>("GET", paths.experiment(namespace, name));
    const status = exp.status ?? {};
    if (r.kind === "progress" && isTerminal(status)) return status;
    const changed = applyReport(status, r, new Date().toISOString());
    const patch = topLevelMergePatch(pick(status, Object.keys(changed)), changed);
    if (Object.keys(patch).length === 0) return status;
    try {
      await mergePatch(d.client, paths.experimentStatus(namespace, name), { metadata: { resourceVersion: exp.metadata.resourceVersion }, status: patch });
      return { ...status, ...changed };
    } catch (err) {
      if (!isConflict(err) || attempt >= 5) throw err;
    }
  }
}

const pick = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new HttpError(413, `a report is at most ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "the body is not JSON");
  }
}
