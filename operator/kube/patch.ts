// Writes with explicit content types (client-node would default to JSON Patch): merge patches of the fields that
// changed, optimistic concurrency by resourceVersion where a stale read must not win.
import { CONTENT, type KubeClient } from "./client.ts";

/** A JSON merge patch turning `before` into `after` at the top level: changed keys set, removed keys null. */
export function topLevelMergePatch(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(after)) if (JSON.stringify(before[k]) !== JSON.stringify(v)) patch[k] = v;
  for (const k of Object.keys(before)) if (!(k in after) || after[k] === undefined) patch[k] = null;
  return patch;
}

export function mergePatch<T>(client: KubeClient, path: string, body: unknown): Promise<T> {
  return client.request<T>("PATCH", path, { body, contentType: CONTENT.mergePatch });
}

export function jsonPatch<T>(client: KubeClient, path: string, ops: unknown[]): Promise<T> {
  return client.request<T>("PATCH", path, { body: ops, contentType: CONTENT.jsonPatch });
}

/** Server-side apply: the field manager owns exactly the fields it sends. */
export function serverSideApply<T>(client: KubeClient, path: string, body: unknown, fieldManager: string, force = true): Promise<T> {
  return client.request<T>("PATCH", path, { body, contentType: CONTENT.apply, query: { fieldManager, force } });
}

/** Remove one finalizer, only if the object is still the version we looked at (409 Conflict otherwise). */
export function removeFinalizer(client: KubeClient, path: string, obj: { metadata: { finalizers?: string[]; resourceVersion?: string } }, finalizer: string) {
  const finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  return mergePatch(client, path, { metadata: { resourceVersion: obj.metadata.resourceVersion, finalizers } });
}
