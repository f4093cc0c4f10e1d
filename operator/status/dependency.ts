// Whether an experiment may start from the checkpoint of the experiment its model.initialWeights.fromExperiment names,
// as a pure function of the experiments the operator sees. Waiting is only for what can still happen (the dependency
// is running, or not created yet); a cycle, a dependency that failed for good or ended without a checkpoint, and a
// dependency deleted while this experiment waited for it end the waiting experiment with a reason that names them.
import type { MemeExperimentStatus } from "../../api/v1alpha1/status.ts";
import { CONDITION } from "../../api/contract/conditions.ts";
import { conditionOf } from "./conditions.ts";

/** What the resolver needs to know of an experiment of the same namespace. */
export interface DependencyView {
  name: string;
  fromExperiment?: string;
  status?: MemeExperimentStatus;
  /** deletionTimestamp is set */
  deleting?: boolean;
}

export const DEPENDENCY_REASON = {
  notSucceeded: "DependencyNotSucceeded",
  notFound: "DependencyNotFound",
  failed: "DependencyFailed",
  withoutCheckpoint: "DependencyWithoutCheckpoint",
  deleted: "DependencyDeleted",
  cycle: "DependencyCycle",
} as const;

export interface UnmetDependency {
  name: string;
  reason: (typeof DEPENDENCY_REASON)[keyof typeof DEPENDENCY_REASON];
  message: string;
  /** It can no longer be met: the experiment fails instead of waiting. */
  ends: boolean;
}

export type DependencyResolution = { checkpointUri: string } | UnmetDependency;

const FIELD = "model.initialWeights.fromExperiment";
// A terminal phase is recorded with its completion time; a Failed phase without one (InvalidSpec) can still change.
const final = (s: MemeExperimentStatus | undefined) => !!s?.phase && !!s.completionTime && (s.phase === "Succeeded" || s.phase === "Failed");

/** The experiments from `self` around a cycle back to `self` (first and last equal), if its chain comes back to it. */
export function dependencyCycle(self: DependencyView, lookup: (name: string) => DependencyView | undefined): string[] | undefined {
  const chain = [self.name];
  for (let next = self.fromExperiment; next !== undefined; next = lookup(next)?.fromExperiment) {
    if (next === self.name) return [...chain, next];
    // A cycle further down the chain that does not pass through `self`: its members fail, and `self` with them.
    if (chain.includes(next)) return undefined;
    chain.push(next);
  }
  return undefined;
}

export function resolveDependency(self: DependencyView, lookup: (name: string) => DependencyView | undefined): DependencyResolution | undefined {
  const name = self.fromExperiment;
  if (!name) return undefined;
  const cycle = dependencyCycle(self, lookup);
  if (cycle) {
    return { name, reason: DEPENDENCY_REASON.cycle, ends: true, message: `${FIELD} forms a cycle: ${cycle.join(" -> ")}; none of them can start` };
  }
  const dep = lookup(name);
  if (!dep || dep.deleting) {
    // Seen before (this experiment was waiting for it to succeed) and now gone: it will not come back as it was.
    const sawIt = conditionOf(self.status?.conditions, CONDITION.waitingForDependency)?.reason === DEPENDENCY_REASON.notSucceeded;
    if (dep?.deleting || sawIt) {
      return { name, reason: DEPENDENCY_REASON.deleted, ends: true, message: `MemeExperiment ${name} (${FIELD}) was deleted before it succeeded` };
    }
    return { name, reason: DEPENDENCY_REASON.notFound, ends: false, message: `MemeExperiment ${name} (${FIELD}) does not exist (yet)` };
  }
  const s = dep.status;
  if (s?.phase === "Succeeded" && s.checkpointUri) return { checkpointUri: s.checkpointUri };
  if (final(s) && s?.phase === "Failed") {
    const why = s.failure ? `${s.failure.reason}: ${s.failure.message}` : "Failed";
    return { name, reason: DEPENDENCY_REASON.failed, ends: true, message: `MemeExperiment ${name} (${FIELD}) failed, so its checkpoint cannot be used (${why})`.slice(0, 4096) };
  }
  if (final(s)) {
    return { name, reason: DEPENDENCY_REASON.withoutCheckpoint, ends: true, message: `MemeExperiment ${name} (${FIELD}) succeeded without a checkpointUri (only mode train makes one)` };
  }
  const why = s?.phase === "Failed" ? `is Failed (${s.failure?.reason ?? "no reason"}) but may still be corrected` : `is ${s?.phase ?? "not started"}`;
  return { name, reason: DEPENDENCY_REASON.notSucceeded, ends: false, message: `waiting for MemeExperiment ${name}, which ${why}` };
}
