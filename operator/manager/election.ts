// Who runs the reconcile workers: with leader election, the replica holding the Lease (it stops when the Lease is
// lost, so two replicas never reconcile at once); without it, this replica at once.
import type { Logger } from "../../api/contract/log.ts";
import type { KubeClient } from "../kube/client.ts";
import { LeaderElector } from "../kube/leader-election.ts";

export interface ElectionOptions {
  leaderElect?: boolean;
  leaseNamespace?: string;
  leaseName?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  identity: string;
  log: Logger;
}

/** Calls `lead` when this replica leads and `lost` when it loses the Lease; the elector, to release the Lease on stop. */
export function runForLeadership(client: KubeClient, o: ElectionOptions, lead: () => void, lost: () => void): LeaderElector | undefined {
  if (!o.leaderElect) {
    lead();
    return undefined;
  }
  const elector = new LeaderElector(client, {
    namespace: o.leaseNamespace ?? "default",
    name: o.leaseName ?? "memeops-operator",
    identity: o.identity,
    leaseDurationMs: o.leaseDurationMs,
    renewDeadlineMs: o.renewDeadlineMs,
    retryPeriodMs: o.retryPeriodMs,
    log: o.log,
  });
  void elector.run(lead, lost);
  return elector;
}
