// The few fields of Jobs and Pods the operator reads, as the API server sends them (JSON, times as strings).
import type { KubeObject } from "./informer.ts";

export interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface JobObject extends KubeObject {
  spec: { suspend?: boolean; backoffLimit?: number; template?: unknown };
  status?: {
    conditions?: JobCondition[];
    active?: number;
    succeeded?: number;
    failed?: number;
    ready?: number;
    startTime?: string;
    completionTime?: string;
  };
}

export interface ContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string };
}

export interface PodObject extends KubeObject {
  spec?: { nodeName?: string };
  status?: {
    phase?: "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";
    /** when the kubelet accepted the pod */
    startTime?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: { name: string; state?: ContainerState; lastState?: ContainerState; restartCount?: number }[];
  };
}

export const jobCondition = (job: JobObject | undefined, type: string): JobCondition | undefined =>
  job?.status?.conditions?.find((c) => c.type === type && c.status === "True");

/**
 * What the Job and Pod informers keep of each object: its metadata and the fields above. Never the Job's pod template
 * or the pod's spec (env, volumes, command), most of their size and never read from the cache.
 */
export function keptJob(o: KubeObject): JobObject {
  const { spec, status } = o as Partial<JobObject>;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata, spec: { suspend: spec?.suspend }, status };
}

export function keptPod(o: KubeObject): PodObject {
  const { spec, status } = o as PodObject;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata, ...(spec?.nodeName && { spec: { nodeName: spec.nodeName } }), status };
}

export const isPodTerminal = (pod: PodObject) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
