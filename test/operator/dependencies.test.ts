// model.initialWeights.fromExperiment on the real control plane: the operator waits only for what can still happen.
// A cycle, a dependency that failed for good and one deleted while awaited end the dependent with a reason naming them.
import { describe, expect, test } from "vitest";
import { kubectlJson, kubectlOk, waitFor } from "../cluster/kubectl.ts";
import { apply, condition, experiment, getExperiment, phaseIs, operatorPerFile, type Obj } from "./operator-harness.ts";

const env = operatorPerFile("memeops-deps");

const from = (name: string) => ({ model: { name: "vilbert_hf", size: "tiny", initialWeights: { fromExperiment: name } } });
const jobsOf = (name: string): Obj[] => kubectlJson(["get", "jobs", "-n", env.ns, "-l", `memeops.io/experiment=${name}`]).items;

describe("dependencies between experiments", () => {
  test("a cycle (a -> b -> a) ends both with DependencyCycle naming the cycle, and no Job", async () => {
    apply([experiment(env.ns, "cyc-a", { spec: from("cyc-b") }), experiment(env.ns, "cyc-b", { spec: from("cyc-a") })].join("\n---\n"));
    for (const [name, cycle] of [["cyc-a", "cyc-a -> cyc-b -> cyc-a"], ["cyc-b", "cyc-b -> cyc-a -> cyc-b"]]) {
      const e = await waitFor(`${name} Failed`, phaseIs(env.ns, name!, "Failed"), { timeoutMs: 30_000 });
      expect(e.status.failure).toMatchObject({ reason: "DependencyCycle" });
      expect(e.status.failure.message).toContain(cycle);
      expect(condition(e, "Failed")).toMatchObject({ status: "True", reason: "DependencyCycle" });
      expect(condition(e, "WaitingForDependency")).toMatchObject({ status: "False", reason: "DependencyCycle" });
      expect(e.status.completionTime).toBeTruthy();
      expect(jobsOf(name!)).toEqual([]);
    }
    const events = kubectlJson(["get", "events", "-n", env.ns, "--field-selector", "involvedObject.name=cyc-a"]).items.map((x: Obj) => x.reason);
    expect(events).toContain("DependencyCycle");
  });

  test("a dependency that fails for good ends the dependent with DependencyFailed naming it", async () => {
    apply([experiment(env.ns, "broken", { outcome: "failed" }), experiment(env.ns, "after-broken", { spec: from("broken") })].join("\n---\n"));
    await waitFor("broken Failed", phaseIs(env.ns, "broken", "Failed"), { timeoutMs: 90_000 });
    const e = await waitFor("after-broken Failed", phaseIs(env.ns, "after-broken", "Failed"), { timeoutMs: 30_000 });
    expect(e.status.failure.reason).toBe("DependencyFailed");
    expect(e.status.failure.message).toMatch(/MemeExperiment broken .*failed/);
    expect(jobsOf("after-broken")).toEqual([]);
  });

  test("a dependency deleted while awaited ends the dependent with DependencyDeleted naming it", async () => {
    apply([experiment(env.ns, "slow-parent", { outcome: "succeeded", after: "600s" }), experiment(env.ns, "orphan", { spec: from("slow-parent") })].join("\n---\n"));
    await waitFor("orphan waiting", () => {
      const e = getExperiment(env.ns, "orphan");
      return condition(e, "WaitingForDependency")?.reason === "DependencyNotSucceeded" ? e : undefined;
    }, { timeoutMs: 30_000 });
    kubectlOk(["delete", "memex", "slow-parent", "-n", env.ns, "--wait=false"]);
    const e = await waitFor("orphan Failed", phaseIs(env.ns, "orphan", "Failed"), { timeoutMs: 30_000 });
    expect(e.status.failure.reason).toBe("DependencyDeleted");
    expect(e.status.failure.message).toContain("MemeExperiment slow-parent");
    expect(jobsOf("orphan")).toEqual([]);
  });
});
