// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: optimistic concurrency on the Lease's
// resourceVersion, expiry judged by *our* clock from when we last saw the record change (so clock skew between
// replicas does not matter), and an explicit release on shutdown so the next replica need not wait out the lease.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { isConflict, isNotFound, type KubeClient } from "./client.ts";
import { sleep } from "./backoff.ts";
import type { Logger } from "../../api/contract/log.ts";

interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: Logger;
}

/** hostname (the pod's name in a Deployment) plus a random suffix, as client-go does: unique per process. */
export const defaultIdentity = () => `${hostname()}_${randomBytes(4).toString("hex")}`;

const microTime = (d = new Date()) => d.toISOString().replace("Z", "000Z");

export class LeaderElector {
  readonly identity: string;
  private leading = false;
  private observed?: { record: string; at: number };
  private readonly stopped = new AbortController();

  constructor(
    private readonly client: KubeClient,
    private readonly o: LeaderElectionOptions,
  ) {
    this.identity = o.identity ?? defaultIdentity();
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private get leaseMs() {
    return this.o.leaseDurationMs ?? 15_000;
  }
  private get path() {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases/${this.o.name}`;
  }

  /** Blocks until leadership is acquired, then keeps renewing; onLost runs once if a renewal deadline passes. */
  async run(onStarted: () => void, onLost: () => void): Promise<void> {
    const retry = this.o.retryPeriodMs ?? 2_000;
    while (!this.stopped.signal.aborted && !(await this.tryAcquireOrRenew())) await sleep(retry, this.stopped.signal);
    if (this.stopped.signal.aborted) return;
    this.o.log.info("became leader", { lease: `${this.o.namespace}/${this.o.name}`, identity: this.identity });
    onStarted();
    let lastRenew = Date.now();
    while (!this.stopped.signal.aborted) {
      await sleep(retry, this.stopped.signal);
      if (this.stopped.signal.aborted) return;
      if (await this.tryAcquireOrRenew()) lastRenew = Date.now();
      else if (Date.now() - lastRenew > (this.o.renewDeadlineMs ?? 10_000)) {
        this.leading = false;
        this.o.log.error("lost leadership", { identity: this.identity });
        onLost();
        return;
      }
    }
  }

  /** Stop renewing and, if leading, hand the Lease back (holder cleared) so another replica takes over at once. */
  async release(): Promise<void> {
    this.stopped.abort();
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.client.request<Lease>("GET", this.path);
      if (lease.spec.holderIdentity !== this.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime() };
      await this.client.request("PUT", this.path, { body: lease });
      this.o.log.info("released leadership", { identity: this.identity });
    } catch (err) {
      this.o.log.warn("could not release the lease", { err: String(err) });
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const mine = (prev?: Lease["spec"]): Lease["spec"] => ({
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseMs / 1000),
      acquireTime: prev?.holderIdentity === this.identity && prev.acquireTime ? prev.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (prev?.leaseTransitions ?? 0) + (prev?.holderIdentity === this.identity ? 0 : 1),
    });
    try {
      let lease: Lease;
      try {
        lease = await this.client.request<Lease>("GET", this.path);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await this.client.request("POST", `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases`, {
          body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: this.o.name, namespace: this.o.namespace }, spec: mine() },
        });
        return (this.leading = true);
      }
      const holder = lease.spec.holderIdentity;
      const record = `${holder}|${lease.spec.renewTime}`;
      if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
      const durationMs = (lease.spec.leaseDurationSeconds ?? 15) * 1000;
      const expired = Date.now() > this.observed.at + durationMs;
      if (holder && holder !== this.identity && !expired) return (this.leading = false);
      lease.spec = mine(lease.spec);
      await this.client.request("PUT", this.path, { body: lease });
      return (this.leading = true);
    } catch (err) {
      if (!isConflict(err)) this.o.log.warn("leader election attempt failed", { err: String(err) });
      return false;
    }
  }
}
