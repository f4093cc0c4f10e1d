// Objects as this operator's own writes left them (the PATCH answers), until the informer has caught up. A reconcile
// woken by one of its own earlier writes must not work from the version before it: it would write the same status
// again on a stale resourceVersion and conflict with itself. Newer is decided by comparing resourceVersions as
// numbers, as client-go's MutationCache does.
import { keyOf, type Handler, type KubeObject } from "./informer.ts";

export class OwnWrites<T extends KubeObject> {
  private readonly written = new Map<string, T>();

  /** What is kept of an object goes with the informer's delete event for it, so nothing outlives the object. */
  constructor(private readonly cache: { get(key: string): T | undefined; on(handler: Handler<T>): void }) {
    cache.on((type, obj) => type === "delete" && this.written.delete(keyOf(obj)));
  }

  /** The informer's copy, or this operator's own last write of it where that is newer. */
  latest(key: string): T | undefined {
    const cached = this.cache.get(key);
    const mine = this.written.get(key);
    if (!mine) return cached;
    if (cached && cached.metadata.uid === mine.metadata.uid && olderThan(cached, mine)) return mine;
    this.written.delete(key);
    return cached;
  }

  remember<U extends T>(obj: U): U {
    this.written.set(keyOf(obj), obj);
    return obj;
  }
}

/** resourceVersions are etcd revisions: numbers in practice (client-go's MutationCache relies on it too); else trust the cache. */
function olderThan(a: KubeObject, b: KubeObject): boolean {
  try {
    return BigInt(a.metadata.resourceVersion ?? "") < BigInt(b.metadata.resourceVersion ?? "");
  } catch {
    return false;
  }
}
