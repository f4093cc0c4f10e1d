// A list+watch cache of one resource that never gives up: any error restarts it after a backoff, 410 Gone (an
// expired resourceVersion) re-lists, and a periodic resync hands every cached object to the handler again, so a
// missed event costs latency, never correctness.
import { ApiError, type KubeClient, type WatchEvent } from "./client.ts";
import { backoffMs, sleep } from "./backoff.ts";
import type { Logger } from "../../api/contract/log.ts";

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  };
}

export type InformerEvent = "add" | "update" | "delete" | "resync";
export type Handler<T> = (type: InformerEvent, obj: T, old?: T) => void;

export interface InformerOptions {
  /** collection paths, e.g. /apis/batch/v1/jobs or /apis/batch/v1/namespaces/NS/jobs (one informer per path) */
  paths: string[];
  labelSelector?: string;
  resyncMs?: number;
  log: Logger;
  name: string;
  /** a secondary index: the values an object is found under with byIndex (e.g. its owner's uid) */
  indexBy?: (o: KubeObject) => readonly string[];
  /** what of each object the cache keeps (client-go's SetTransform): the fields the operator reads, not the rest */
  transform?: (o: KubeObject) => KubeObject;
}

export const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly index = new Map<string, Set<string>>();
  private readonly handlers: Handler<T>[] = [];
  private readonly synced = new Set<string>();
  private readonly abort = new AbortController();
  private resyncTimer?: NodeJS.Timeout;
  /** Restarts after errors, for the tests and the logs. */
  restarts = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly o: InformerOptions,
  ) {}

  on(handler: Handler<T>): void {
    this.handlers.push(handler);
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(filter?: (o: T) => boolean): T[] {
    const out: T[] = [];
    for (const o of this.cache.values()) if (!filter || filter(o)) out.push(o);
    return out;
  }

  /** The cached objects `indexBy` files under `value`. */
  byIndex(value: string): T[] {
    const out: T[] = [];
    for (const key of this.index.get(value) ?? []) {
      const o = this.cache.get(key);
      if (o) out.push(o);
    }
    return out;
  }

  get size(): number {
    return this.cache.size;
  }

  hasSynced(): boolean {
    return this.synced.size === this.o.paths.length;
  }

  start(): void {
    for (const path of this.o.paths) void this.run(path);
    if (this.o.resyncMs) {
      this.resyncTimer = setInterval(() => {
        for (const o of this.cache.values()) this.emit("resync", o);
      }, this.o.resyncMs);
      this.resyncTimer.unref();
    }
  }

  stop(): void {
    this.abort.abort();
    clearInterval(this.resyncTimer);
  }

  private emit(type: InformerEvent, obj: T, old?: T): void {
    for (const h of this.handlers) {
      try {
        h(type, obj, old);
      } catch (err) {
        this.o.log.error("informer handler failed", { informer: this.o.name, err: String(err) });
      }
    }
  }

  /** list, then watch from the list's resourceVersion; on any failure back off and start over. */
  private async run(path: string): Promise<void> {
    let failures = 0;
    let rv: string | undefined;
    while (!this.abort.signal.aborted) {
      try {
        if (rv === undefined) {
          rv = await this.relist(path);
          this.synced.add(path);
        }
        const current = { rv };
        await this.client.watch<T | { code?: number; message?: string }>(
          path,
          { labelSelector: this.o.labelSelector, resourceVersion: rv, timeoutSeconds: 240 + Math.floor(Math.random() * 60) },
          (e) => {
            failures = 0;
            this.apply(e as WatchEvent<T>, current);
          },
          this.abort.signal,
        );
        rv = current.rv;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        failures++;
        this.restarts++;
        if (err instanceof ApiError && err.code === 410) rv = undefined;
        const wait = backoffMs(failures, 200, 30_000);
        this.o.log.warn("informer restarting", { informer: this.o.name, path, err: String(err), retryInMs: wait });
        await sleep(wait, this.abort.signal);
      }
    }
  }

  private apply(e: WatchEvent<T>, current: { rv: string | undefined }): void {
    if (e.type === "ERROR") {
      const status = e.object as unknown as { code?: number; message?: string };
      throw new ApiError(status.code ?? 500, status.code === 410 ? "Expired" : "", `watch error: ${status.message ?? ""}`);
    }
    current.rv = e.object.metadata.resourceVersion ?? current.rv;
    if (e.type === "BOOKMARK") return;
    const obj = this.kept(e.object);
    const key = keyOf(obj);
    const old = this.cache.get(key);
    if (e.type === "DELETED") {
      this.forget(key);
      this.emit("delete", obj);
    } else {
      this.put(key, obj);
      this.emit(old ? "update" : "add", obj, old);
    }
  }

  /** A full list replaces this path's part of the cache; objects that vanished meanwhile are reported deleted. */
  private async relist(path: string): Promise<string> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = "";
    do {
      const page = await this.client.request<{ items: T[]; metadata: { resourceVersion: string; continue?: string } }>("GET", path, {
        query: { labelSelector: this.o.labelSelector, limit: 500, continue: cont },
      });
      for (const o of page.items) items.push(this.kept(o));
      rv = page.metadata.resourceVersion;
      cont = page.metadata.continue || undefined;
    } while (cont);
    const seen = new Set<string>();
    for (const o of items) {
      const key = keyOf(o);
      seen.add(key);
      const old = this.cache.get(key);
      this.put(key, o);
      if (!old) this.emit("add", o);
      else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) this.emit("update", o, old);
    }
    const ns = namespaceOfPath(path);
    for (const [key, o] of this.cache) {
      if (!seen.has(key) && (ns === undefined || o.metadata.namespace === ns)) {
        this.forget(key);
        this.emit("delete", o);
      }
    }
    return rv;
  }

  /** managedFields (server-side apply bookkeeping, often the largest part of a pod) are never read from the cache. */
  private kept(o: T): T {
    delete (o.metadata as { managedFields?: unknown }).managedFields;
    return this.o.transform ? (this.o.transform(o) as T) : o;
  }

  private put(key: string, o: T): void {
    this.unindex(key);
    this.cache.set(key, o);
    for (const v of this.o.indexBy?.(o) ?? []) {
      let keys = this.index.get(v);
      if (!keys) this.index.set(v, (keys = new Set()));
      keys.add(key);
    }
  }

  private forget(key: string): void {
    this.unindex(key);
    this.cache.delete(key);
  }

  private unindex(key: string): void {
    const old = this.cache.get(key);
    if (!old || !this.o.indexBy) return;
    for (const v of this.o.indexBy(old)) {
      const keys = this.index.get(v);
      keys?.delete(key);
      if (keys?.size === 0) this.index.delete(v);
    }
  }
}

function namespaceOfPath(path: string): string | undefined {
  return /\/namespaces\/([^/]+)\//.exec(path)?.[1];
}
