// The Job of one unit of an experiment: a pure function of the experiment, the unit and the operator's settings.
import { DEFAULT_MODEL_DIR, MODEL_DIR_ENV } from "../../api/contract/model-dir.ts";
import { API_VERSION, KIND } from "../../api/v1alpha1/groupversion.ts";
import type { MemeExperimentSpec } from "../../api/v1alpha1/spec.ts";
import { KUEUE_LABEL } from "../../api/contract/kueue.ts";
import { childLabels, childName } from "./names.ts";
import type { JobUnit } from "./job-units.ts";
import { kueueLabels } from "./kueue.ts";
import { parseKeyValues, POD_ANNOTATIONS_ANNOTATION, POD_LABELS_ANNOTATION, withoutReserved } from "./annotations.ts";

/** Kept on trainer pods until the operator has recorded their final state (see docs/operator.md, "Reporting"). */
export const POD_FINALIZER = "memeops.io/record-final-state";
export const CONTAINER = "trainer";
export const REPORT_AUDIENCE = "memeops";
export const REPORT_TOKEN_DIR = "/var/run/secrets/memeops.io/report";
export const TERMINATION_MESSAGE_PATH = "/dev/termination-log";
/** Where the trainer reads tokenSecret files: SECRETS_DIR/<secret name>/<key> (trainer-image/src/data/hf-token.ts). */
export const SECRETS_DIR = "/var/run/secrets/memeops";

/** The GPUs' extended resource name when neither the experiment nor the operator (--gpu-resource-name) names one. */
export const DEFAULT_GPU_RESOURCE_NAME = "nvidia.com/gpu";

export interface OperatorJobSettings {
  trainerImage: string;
  /** GPUs' extended resource name for experiments that leave spec.resources.gpuResourceName unset (--gpu-resource-name) */
  gpuResourceName?: string;
  /** where trainers POST progress; unset: they report only through the termination message */
  reportUrl?: string;
  /** CA (PEM) trainers verify an https reportUrl with (operator flag --report-tls-ca); unset: the system's roots */
  reportCa?: string;
  /** labels added to every trainer pod (operator flag --pod-labels) */
  podLabels?: Record<string, string>;
  /** PersistentVolumeClaim holding the extractors' model files, in each namespace trainers run in (--models-claim) */
  modelsClaim?: string;
}

export interface ExperimentRef {
  name: string;
  namespace: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** What the reconciler resolved before building: never looked up by the builder itself. */
export interface Resolved {
  /** checkpoint of the experiment named by model.initialWeights.fromExperiment */
  initialCheckpointUri?: string;
  tracking?: { uri: string; runId?: string; experimentName: string };
}

export interface Job {
  apiVersion: "batch/v1";
  kind: "Job";
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    ownerReferences: { apiVersion: string; kind: string; name: string; uid: string; controller: true; blockOwnerDeletion: true }[];
  };
  spec: Record<string, unknown> & { suspend: boolean };
}

export function jobName(experiment: string, unit: Pick<JobUnit, "key">): string {
  return childName(experiment, unit.key);
}

/** The spec the trainer runs: a reference to another experiment is replaced by the checkpoint it resolved to. */
export function trainerSpec(spec: MemeExperimentSpec, resolved: Resolved): MemeExperimentSpec {
  const w = spec.model.initialWeights;
  if (!w?.fromExperiment || !resolved.initialCheckpointUri) return spec;
  const { fromExperiment: _from, ...rest } = w;
  return { ...spec, model: { ...spec.model, initialWeights: { ...rest, uri: resolved.initialCheckpointUri } } };
}

/** The Secrets the spec names for tokens (dataset hub, initial weights): each mounted with only the keys named. */
export function tokenSecrets(spec: MemeExperimentSpec): Map<string, Set<string>> {
  const refs = [spec.dataset.source.huggingface?.tokenSecret, spec.model.initialWeights?.tokenSecret];
  const secrets = new Map<string, Set<string>>();
  for (const r of refs) if (r) secrets.set(r.name, (secrets.get(r.name) ?? new Set()).add(r.key));
  return secrets;
}

/** The models volume: read-only, where the trainer looks for the default model files. */
function modelsVolume(claim: string | undefined) {
  if (!claim) return [];
  return [
    {
      volume: { name: "models", persistentVolumeClaim: { claimName: claim, readOnly: true } },
      mount: { name: "models", mountPath: DEFAULT_MODEL_DIR, readOnly: true },
      env: { name: MODEL_DIR_ENV, value: DEFAULT_MODEL_DIR },
    },
  ];
}

function secretVolumes(spec: MemeExperimentSpec) {
  return [...tokenSecrets(spec)].map(([name, keys], i) => ({
    // volume names are DNS labels: an index, not the (up to 253 characters) Secret name
    volume: { name: `token-secret-${i}`, secret: { secretName: name, items: [...keys].map((key) => ({ key, path: key })), defaultMode: 0o440 } },
    mount: { name: `token-secret-${i}`, mountPath: `${SECRETS_DIR}/${name}`, readOnly: true },
  }));
}

export function buildJob(exp: ExperimentRef, spec: MemeExperimentSpec, unit: JobUnit, resolved: Resolved, settings: OperatorJobSettings): Job {
  const labels = childLabels(exp.name, unit.key);
  // on the Job only, where Kueue reads them: its pods are the Job's, not workloads of their own
  const kueue = kueueLabels(exp.labels, spec);
  const podLabels = {
    ...withoutReserved({ ...settings.podLabels, ...parseKeyValues(exp.annotations?.[POD_LABELS_ANNOTATION]) }),
    ...labels,
  };
  const podAnnotations = parseKeyValues(exp.annotations?.[POD_ANNOTATIONS_ANNOTATION]);
  const storage = spec.dataset.storage;
  const gpuResource = spec.resources.gpuResourceName ?? settings.gpuResourceName ?? DEFAULT_GPU_RESOURCE_NAME;
  const gpus = spec.resources.gpus > 0 ? { [gpuResource]: String(spec.resources.gpus) } : {};
  const resources = { cpu: spec.resources.cpu, memory: spec.resources.memory, ...gpus };
  const env: { name: string; value: string }[] = [
    { name: "MEMEOPS_EXPERIMENT", value: JSON.stringify({ metadata: { name: exp.name, namespace: exp.namespace, uid: exp.uid }, spec: trainerSpec(spec, resolved) }) },
    { name: "MEMEOPS_EXPERIMENT_UID", value: exp.uid },
    { name: "MEMEOPS_DATA_DIR", value: storage.path },
    // downloads (weights, datasets) outlive one experiment's work dir when the data volume is shared
    { name: "MEMEOPS_CACHE_DIR", value: `${storage.path}/cache` },
    { name: "MEMEOPS_SECRETS_DIR", value: SECRETS_DIR },
    { name: "MEMEOPS_TERMINATION_MESSAGE_PATH", value: TERMINATION_MESSAGE_PATH },
    { name: "HOME", value: "/tmp" },
  ];
  if (settings.reportUrl) {
    env.push({ name: "MEMEOPS_REPORT_URL", value: settings.reportUrl }, { name: "MEMEOPS_REPORT_TOKEN_FILE", value: `${REPORT_TOKEN_DIR}/token` });
    if (settings.reportCa) env.push({ name: "MEMEOPS_REPORT_CA", value: settings.reportCa });
  }
  if (resolved.tracking) {
    env.push({ name: "MLFLOW_TRACKING_URI", value: resolved.tracking.uri }, { name: "MLFLOW_EXPERIMENT_NAME", value: resolved.tracking.experimentName });
    if (resolved.tracking.runId) env.push({ name: "MLFLOW_RUN_ID", value: resolved.tracking.runId });
  }
  const credentials = resolved.tracking && spec.tracking.credentialsSecret;
  const secrets = secretVolumes(spec);
  const models = modelsVolume(settings.modelsClaim);
  env.push(...models.map((v) => v.env));

  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName(exp.name, unit),
      namespace: exp.namespace,
      labels: { ...labels, ...kueue },
      ownerReferences: [{ apiVersion: API_VERSION, kind: KIND, name: exp.name, uid: exp.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      // A queued Job starts suspended and Kueue unsuspends it when it admits it (Kueue's own webhook would do the same).
      suspend: spec.suspend || KUEUE_LABEL.queueName in kueue,
      backoffLimit: spec.runtime.backoffLimit,
      ...(spec.runtime.activeDeadlineSeconds !== undefined && { activeDeadlineSeconds: spec.runtime.activeDeadlineSeconds }),
      ...(spec.runtime.ttlSecondsAfterFinished !== undefined && { ttlSecondsAfterFinished: spec.runtime.ttlSecondsAfterFinished }),
      template: {
        metadata: { labels: podLabels, ...(Object.keys(podAnnotations).length && { annotations: podAnnotations }), finalizers: [POD_FINALIZER] },
        spec: {
          restartPolicy: "Never",
          ...(spec.runtime.serviceAccountName && { serviceAccountName: spec.runtime.serviceAccountName }),
          // The trainer needs no Kubernetes API rights: its only credential is the audience-bound token below.
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
          ...(spec.scheduling.nodeSelector && { nodeSelector: spec.scheduling.nodeSelector }),
          ...(spec.scheduling.tolerations && { tolerations: spec.scheduling.tolerations }),
          ...(spec.scheduling.priorityClassName && { priorityClassName: spec.scheduling.priorityClassName }),
          containers: [
            {
              name: CONTAINER,
              image: spec.runtime.image ?? settings.trainerImage,
              command: ["memeops", "trainer", ...unit.stages],
              env,
              ...(credentials && { envFrom: [{ secretRef: { name: credentials.name } }] }),
              resources: { requests: resources, limits: { memory: spec.resources.memory, ...gpus } },
              volumeMounts: [
                { name: "data", mountPath: storage.path },
                { name: "tmp", mountPath: "/tmp" },
                { name: "report-token", mountPath: REPORT_TOKEN_DIR, readOnly: true },
                ...models.map((v) => v.mount),
                ...secrets.map((v) => v.mount),
              ],
              terminationMessagePath: TERMINATION_MESSAGE_PATH,
              terminationMessagePolicy: "FallbackToLogsOnError",
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            },
          ],
          volumes: [
            storage.volumeClaim ? { name: "data", persistentVolumeClaim: { claimName: storage.volumeClaim } } : { name: "data", emptyDir: {} },
            { name: "tmp", emptyDir: {} },
            {
              name: "report-token",
              projected: { sources: [{ serviceAccountToken: { audience: REPORT_AUDIENCE, expirationSeconds: 3600, path: "token" } }] },
            },
            ...models.map((v) => v.volume),
            ...secrets.map((v) => v.volume),
          ],
        },
      },
    },
  };
}
