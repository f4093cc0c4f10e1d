// Writes with explicit content types (client-node would default to JSON Patch): merge patches of the fields that
// changed, optimistic concurrency by resourceVersion where a stale read must not win.
import { CONTENT, type KubeClient } from "./client.ts";

/**
 * A JSON merge patch turning `before` into `after` at the top level: changed keys set, removed keys null. Values are
 * compared as JSON with object keys sorted: the API server answers with sorted keys (Go maps), the operator builds
 * them in its own order, and a plain JSON.stringify comparison saw a change in every status it read back.
 */
export function topLevelMergePatch(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(after)) if (canonicalJson(before[k]) !== canonicalJson(v)) patch[k] = v;
  for (const k of Object.keys(before)) if (!(k in after) || after[k] === undefined) patch[k] = null;
  return patch;
}

/** JSON with every object's keys sorted, so equal values have equal text whatever order their keys were set in. */
export function canonicalJson(value: unknown): string | undefined {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
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

/**
 * Remove one finalizer from a built-in object (a pod) whatever else changed meanwhile: the server deletes it from its
 * current list (`$deleteFromPrimitiveList`, finalizers merge by value), so a concurrent edit by another controller
 * (the Job controller drops its own pod finalizer at the same moment) is neither a conflict nor overwritten.
 * Custom resources have no strategic merge: they use removeFinalizer.
 */
export function removeBuiltinFinalizer<T>(client: KubeClient, path: string, finalizer: string): Promise<T> {
  return client.request<T>("PATCH", path, { body: { metadata: { [`$deleteFromPrimitiveList/finalizers`]: [finalizer] } }, contentType: CONTENT.strategicMergePatch });
}
