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

export const isPodTerminal = (pod: PodObject) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
