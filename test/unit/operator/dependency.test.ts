// The dependency check of model.initialWeights.fromExperiment: wait only for what can still happen.
import { describe, expect, it } from "vitest";
import type { MemeExperimentStatus } from "../../../api/v1alpha1/status.ts";
import { computeStatus } from "../../../operator/status/compute.ts";
import { dependencyCycle, resolveDependency, type DependencyView } from "../../../operator/status/dependency.ts";

const done = "2026-01-01T00:00:00Z";
function world(...views: DependencyView[]) {
  const by = new Map(views.map((v) => [v.name, v]));
  return (name: string) => by.get(name);
}
const waitingFor: MemeExperimentStatus = {
  phase: "Pending",
  conditions: [{ type: "WaitingForDependency", status: "True", reason: "DependencyNotSucceeded", message: "", lastTransitionTime: done }],
};

describe("resolveDependency", () => {
  it("a succeeded dependency gives its checkpoint; none named, nothing to resolve", () => {
    const lookup = world({ name: "a", status: { phase: "Succeeded", completionTime: done, checkpointUri: "/ck" } });
    expect(resolveDependency({ name: "b", fromExperiment: "a" }, lookup)).toEqual({ checkpointUri: "/ck" });
    expect(resolveDependency({ name: "b" }, lookup)).toBeUndefined();
  });

  it("waits while the dependency runs, is not created yet, or failed in a way that can still be corrected", () => {
    const lookup = world(
      { name: "running", status: { phase: "Training" } },
      { name: "fixable", status: { phase: "Failed", failure: { reason: "InvalidSpec", message: "x" } } },
    );
    expect(resolveDependency({ name: "b", fromExperiment: "running" }, lookup)).toMatchObject({ reason: "DependencyNotSucceeded", ends: false });
    expect(resolveDependency({ name: "b", fromExperiment: "later" }, lookup)).toMatchObject({ reason: "DependencyNotFound", ends: false });
    expect(resolveDependency({ name: "b", fromExperiment: "fixable" }, lookup)).toMatchObject({ reason: "DependencyNotSucceeded", ends: false });
  });

  it("ends on a dependency that failed for good or succeeded without a checkpoint, naming it", () => {
    const lookup = world(
      { name: "broken", status: { phase: "Failed", completionTime: done, failure: { reason: "OOMKilled", message: "out of memory" } } },
      { name: "evaluated", status: { phase: "Succeeded", completionTime: done } },
    );
    const failed = resolveDependency({ name: "b", fromExperiment: "broken" }, lookup);
    expect(failed).toMatchObject({ reason: "DependencyFailed", ends: true, name: "broken" });
    expect((failed as { message: string }).message).toMatch(/MemeExperiment broken .*OOMKilled/);
    expect(resolveDependency({ name: "b", fromExperiment: "evaluated" }, lookup)).toMatchObject({ reason: "DependencyWithoutCheckpoint", ends: true });
  });

  it("ends on a dependency deleted while it was awaited (being deleted, or gone after it was seen), not on one never seen", () => {
    expect(resolveDependency({ name: "b", fromExperiment: "a" }, world({ name: "a", deleting: true, status: { phase: "Training" } }))).toMatchObject({ reason: "DependencyDeleted", ends: true });
    expect(resolveDependency({ name: "b", fromExperiment: "a", status: waitingFor }, world())).toMatchObject({ reason: "DependencyDeleted", ends: true });
    expect(resolveDependency({ name: "b", fromExperiment: "a" }, world())).toMatchObject({ reason: "DependencyNotFound", ends: false });
  });

  it("a cycle ends every member with DependencyCycle naming the cycle; one that only leads into a cycle waits for its members to fail", () => {
    const lookup = world({ name: "a", fromExperiment: "b" }, { name: "b", fromExperiment: "c" }, { name: "c", fromExperiment: "a" }, { name: "d", fromExperiment: "a" });
    const a = resolveDependency({ name: "a", fromExperiment: "b" }, lookup);
    expect(a).toMatchObject({ reason: "DependencyCycle", ends: true });
    expect((a as { message: string }).message).toContain("a -> b -> c -> a");
    expect(dependencyCycle({ name: "b", fromExperiment: "c" }, lookup)).toEqual(["b", "c", "a", "b"]);
    expect(dependencyCycle({ name: "d", fromExperiment: "a" }, lookup)).toBeUndefined();
    expect(resolveDependency({ name: "d", fromExperiment: "a" }, lookup)).toMatchObject({ reason: "DependencyNotSucceeded", ends: false });
    expect(resolveDependency({ name: "x", fromExperiment: "y" }, world({ name: "y", fromExperiment: "x" }))).toMatchObject({ reason: "DependencyCycle" });
  });

  it("an ending dependency makes the status Failed and terminal, with the reason on Failed and Ready; a wait stays Pending", () => {
    const units = [{ unit: { key: "run", stages: ["prepare", "train", "evaluate"] as ("prepare" | "train" | "evaluate")[] }, name: "b-run", pods: [] }];
    const base = { generation: 1, status: {}, suspend: false, units, now: done };
    const ended = computeStatus({ ...base, dependency: { name: "a", reason: "DependencyCycle", message: "cycle: b -> a -> b", ends: true } });
    expect(ended).toMatchObject({ phase: "Failed", completionTime: done, failure: { reason: "DependencyCycle", message: "cycle: b -> a -> b" } });
    const cond = (s: MemeExperimentStatus, t: string) => s.conditions?.find((c) => c.type === t);
    expect(cond(ended, "Failed")).toMatchObject({ status: "True", reason: "DependencyCycle" });
    expect(cond(ended, "WaitingForDependency")).toMatchObject({ status: "False", reason: "DependencyCycle" });
    const waiting = computeStatus({ ...base, dependency: { name: "a", reason: "DependencyNotSucceeded", message: "waiting", ends: false } });
    expect(waiting.phase).toBe("Pending");
    expect(waiting.completionTime).toBeUndefined();
    expect(cond(waiting, "WaitingForDependency")).toMatchObject({ status: "True", reason: "DependencyNotSucceeded" });
  });
});
