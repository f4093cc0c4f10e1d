// Kubernetes Events for an object's transitions (what `kubectl describe memex NAME` shows). Best effort: an Event
// that cannot be written is logged, never retried into a reconcile failure.
import { randomBytes } from "node:crypto";
import type { KubeClient } from "./client.ts";
import type { KubeObject } from "./informer.ts";
import type { Logger } from "../../api/contract/log.ts";

export interface EventRecorder {
  event(obj: KubeObject, type: "Normal" | "Warning", reason: string, message: string): void;
}

/** `instance` names this replica (its leader-election identity), so an Event tells which replica acted. */
export function apiEventRecorder(client: KubeClient, component: string, instance: string, log: Logger): EventRecorder {
  return {
    event(obj, type, reason, message) {
      const ns = obj.metadata.namespace ?? "default";
      const now = new Date().toISOString();
      const body = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: `${obj.metadata.name}.${Date.now().toString(16)}${randomBytes(2).toString("hex")}`, namespace: ns },
        involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: ns, uid: obj.metadata.uid },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component, host: instance },
        reportingComponent: component,
        reportingInstance: instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      log.info("event", { object: `${ns}/${obj.metadata.name}`, type, reason, message });
      client.request("POST", `/api/v1/namespaces/${ns}/events`, { body }).catch((err) => log.warn("event not recorded", { reason, err: String(err) }));
    },
  };
}
