// The MLflow run of an experiment: created before its first Job (so MLFLOW_RUN_ID can be passed), found again by the
// experiment's UID after a restart, and closed with the experiment's outcome (KILLED when it is deleted first).
import { credentialsFromSecretData, MlflowClient, type MlflowCredentials } from "../../tracking/index.ts";
import type { MemeExperimentSpec } from "../../api/v1alpha1/spec.ts";
import { mlflowExperimentName } from "../../api/contract/mlflow.ts";

export interface MlflowRunTarget {
  uri: string;
  experimentName: string;
  credentialsSecret?: string;
}

/** Where an experiment's runs go, or undefined when neither the spec nor the operator names an MLflow server. */
export function trackingTarget(spec: MemeExperimentSpec, namespace: string, defaultUri: string | undefined): MlflowRunTarget | undefined {
  const uri = spec.tracking.uri ?? defaultUri;
  if (!uri || !/^https?:/i.test(uri)) return undefined;
  return { uri, experimentName: mlflowExperimentName({ namespace }, spec), ...(spec.tracking.credentialsSecret && { credentialsSecret: spec.tracking.credentialsSecret.name }) };
}

export type SecretReader = (namespace: string, name: string) => Promise<Record<string, string> | undefined>;

export class MlflowRuns {
  private readonly clients = new Map<string, MlflowClient>();

  constructor(private readonly readSecret: SecretReader, private readonly timeoutMs = 10_000) {}

  private async client(target: MlflowRunTarget, namespace: string): Promise<MlflowClient> {
    let credentials: MlflowCredentials = {};
    if (target.credentialsSecret) credentials = credentialsFromSecretData(await this.readSecret(namespace, target.credentialsSecret), { base64: true });
    const key = `${target.uri}\u0000${namespace}\u0000${target.credentialsSecret ?? ""}\u0000${JSON.stringify(credentials)}`;
    let c = this.clients.get(key);
    if (!c) {
      // Few quick tries: the reconciler retries with its own backoff, and must not sit in one call for minutes.
      c = new MlflowClient({ trackingUri: target.uri, credentials, timeoutMs: this.timeoutMs, retry: { tries: 2, maxDelayMs: 1000 }, settleMs: 200 });
      this.clients.set(key, c);
    }
    return c;
  }

  /** The run owned by `uid` (found again after a restart), created with these tags; by default an experiment's. */
  async ensureRun(target: MlflowRunTarget, namespace: string, name: string, uid: string, tags: Record<string, string> = { "memeops.io/experiment": name }): Promise<{ runId: string; url: string }> {
    const c = await this.client(target, namespace);
    const exp = await c.getOrCreateExperiment(target.experimentName);
    const { run } = await c.getOrCreateRun({ experimentId: exp.experimentId, ownerUid: uid, runName: name, tags: { "memeops.io/namespace": namespace, ...tags } });
    return { runId: run.info.runId, url: c.runUrl(exp.experimentId, run.info.runId) };
  }

  /** A text file into the run's artifacts (through the server's artifact proxy). */
  async uploadText(target: MlflowRunTarget, namespace: string, runId: string, path: string, text: string): Promise<void> {
    const c = await this.client(target, namespace);
    await c.uploadArtifact((await c.getRun(runId)).info, path, text);
  }

  async terminate(target: MlflowRunTarget, namespace: string, runId: string, status: "FINISHED" | "FAILED" | "KILLED", tags: Record<string, string> = {}): Promise<void> {
    const c = await this.client(target, namespace);
    for (const [key, value] of Object.entries(tags)) await c.setTag(runId, key, value);
    await c.terminateRun(runId, status);
  }
}
