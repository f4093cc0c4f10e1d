// The operator against a real control plane: kwok decides how each pod ends, the real Job controller turns that into
// Job status, and the operator must turn it into truthful MemeExperiment status, conditions and events.
import { describe, expect, test } from "vitest";
import { kubectl, kubectlJson, kubectlOk, waitFor } from "../cluster/kubectl.ts";
import { apply, condition, experiment, getExperiment, phaseIs, operatorPerFile, type Obj } from "./operator-harness.ts";
import { POD_FINALIZER } from "../../operator/builders/job.ts";

const env = operatorPerFile("memeops-op");

const podsOf = (name: string): Obj[] => kubectlJson(["get", "pods", "-n", env.ns, "-l", `memeops.io/experiment=${name}`]).items;
const jobsOf = (name: string): Obj[] => kubectlJson(["get", "jobs", "-n", env.ns, "-l", `memeops.io/experiment=${name}`]).items;

describe("lifecycle", () => {
  test("success: one Job with the pod template we promised, Succeeded with conditions, no Event, and `kubectl get memex` columns", async () => {
    apply(experiment(env.ns, "ok", { outcome: "succeeded", after: "1s" }));
    const e = await waitFor("Succeeded", phaseIs(env.ns, "ok", "Succeeded"), { timeoutMs: 60_000 });
    const jobs = jobsOf("ok");
    expect(jobs.map((j) => j.metadata.name)).toEqual(["ok-run"]);
    const job = jobs[0];
    expect(job.metadata.ownerReferences[0]).toMatchObject({ kind: "MemeExperiment", name: "ok", controller: true, blockOwnerDeletion: true });
    const pod = job.spec.template.spec;
    expect(pod.containers[0].command).toEqual(["memeops", "trainer", "prepare", "train", "evaluate"]);
    expect(pod.containers[0].resources.limits["nvidia.com/gpu"]).toBe("1");
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(e.status.jobs).toEqual([{ stage: "run", name: "ok-run" }]);
    expect(condition(e, "Succeeded")).toMatchObject({ status: "True", observedGeneration: 1 });
    expect(condition(e, "Failed").status).toBe("False");
    expect(e.status.completionTime).toBeTruthy();
    // the pod finalizer is removed once the final state is recorded
    await waitFor("pod finalizer gone", () => podsOf("ok").every((p) => !(p.metadata.finalizers ?? []).includes(POD_FINALIZER)));
    expect(kubectlOk(["get", "memex", "ok", "-n", env.ns, "--no-headers"])).toMatch(/^ok\s+Succeeded\s+vilbert_hf\s+pixels/);
    // Events are for what went wrong; a success is told by the conditions (and costs the API server no Event writes).
    const events = kubectlJson(["get", "events", "-n", env.ns, "--field-selector", "involvedObject.name=ok"]).items;
    expect(events.filter((x: Obj) => x.reportingComponent === "memeops-operator")).toEqual([]);
  });

  test("exit 1 with backoffLimit 1: two attempts, then Failed with BackoffLimitExceeded and exit code 1", async () => {
    apply(experiment(env.ns, "exit1", { outcome: "failed", spec: { runtime: { backoffLimit: 1 } } }));
    const e = await waitFor("Failed", phaseIs(env.ns, "exit1", "Failed"), { timeoutMs: 90_000 });
    expect(e.status.failure).toMatchObject({ reason: "BackoffLimitExceeded", exitCode: 1, stage: "run" });
    expect(e.status.failure.message).toContain("2 attempt(s)");
    expect(jobsOf("exit1")[0].status.failed).toBe(2);
    expect(condition(e, "Failed")).toMatchObject({ status: "True", reason: "BackoffLimitExceeded" });
  });

  test("OOMKilled: Failed with reason OOMKilled and exit code 137, which survives the pod's deletion", async () => {
    apply(experiment(env.ns, "oom", { outcome: "oomkilled" }));
    const e = await waitFor("Failed", phaseIs(env.ns, "oom", "Failed"));
    expect(e.status.failure).toMatchObject({ reason: "OOMKilled", exitCode: 137 });
    kubectlOk(["delete", "pods", "-n", env.ns, "-l", "memeops.io/experiment=oom", "--wait=false"]);
    await waitFor("the pods gone", () => podsOf("oom").length === 0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(getExperiment(env.ns, "oom").status.failure).toMatchObject({ reason: "OOMKilled", exitCode: 137 });
  });

  test("activeDeadlineSeconds: Failed with DeadlineExceeded", async () => {
    apply(experiment(env.ns, "slow", { spec: { runtime: { activeDeadlineSeconds: 2 } } }));
    const e = await waitFor("Failed", phaseIs(env.ns, "slow", "Failed"), { timeoutMs: 60_000 });
    expect(e.status.failure.reason).toBe("DeadlineExceeded");
  });

  test("GPUs the node does not have: Pending with an Unschedulable condition and a Warning event", async () => {
    apply(experiment(env.ns, "greedy", { spec: { resources: { gpus: 9, cpu: "1", memory: "1Gi" } } }));
    const e = await waitFor("Unschedulable", () => {
      const x = getExperiment(env.ns, "greedy");
      return condition(x, "Ready")?.reason === "Unschedulable" ? x : undefined;
    });
    expect(e.status.phase).toBe("Pending");
    expect(condition(e, "Running").message).toContain("nvidia.com/gpu");
  });

  test("suspend: no Job while suspended; resume creates it; suspending again suspends the Job", async () => {
    apply(experiment(env.ns, "paused", { after: "60s", outcome: "succeeded", spec: { suspend: true } }));
    const e = await waitFor("Suspended", phaseIs(env.ns, "paused", "Suspended"));
    expect(condition(e, "Suspended").status).toBe("True");
    expect(jobsOf("paused")).toEqual([]);
    kubectlOk(["patch", "memex", "paused", "-n", env.ns, "--type=merge", "-p", '{"spec":{"suspend":false}}']);
    await waitFor("Running", () => ["Preparing", "Training"].includes(getExperiment(env.ns, "paused").status?.phase));
    kubectlOk(["patch", "memex", "paused", "-n", env.ns, "--type=merge", "-p", '{"spec":{"suspend":true}}']);
    await waitFor("Job suspended", () => jobsOf("paused")[0]?.spec.suspend === true);
    const s = await waitFor("Suspended again", phaseIs(env.ns, "paused", "Suspended"));
    expect(s.status.observedGeneration).toBe(3);
  });

  test("delete without MLflow: no experiment finalizer; the garbage collector takes the Job, the operator releases the pods", async () => {
    apply(experiment(env.ns, "doomed", { outcome: "succeeded", after: "120s" }));
    await waitFor("Running", () => podsOf("doomed").find((p) => p.status.phase === "Running"));
    // Only an MLflow run to close needs the finalizer (test/operator/mlflow.test.ts): one write less per experiment.
    expect(getExperiment(env.ns, "doomed").metadata.finalizers ?? []).not.toContain("memeops.io/cleanup");
    // --wait=false: kubectl runs synchronously and would block the in-process operator that must remove the finalizer
    kubectlOk(["delete", "memex", "doomed", "-n", env.ns, "--wait=false"]);
    await waitFor("the experiment gone", () => kubectl(["get", "memex", "doomed", "-n", env.ns]).code !== 0, { timeoutMs: 60_000 });
    await waitFor("Jobs and pods gone", () => jobsOf("doomed").length === 0 && podsOf("doomed").length === 0, { timeoutMs: 60_000 });
  });

  test("a spec the runtime refuses but the API server stored gets InvalidSpec naming the field, not a crash loop", async () => {
    const name = `x${"y".repeat(70)}`;
    apply(experiment(env.ns, name, { outcome: "succeeded" }));
    const e = await waitFor("InvalidSpec", () => {
      const x = getExperiment(env.ns, name);
      return condition(x, "InvalidSpec")?.status === "True" ? x : undefined;
    });
    expect(condition(e, "InvalidSpec").message).toContain("metadata.name");
    expect(kubectlJson(["get", "jobs", "-n", env.ns]).items.filter((j: Obj) => j.metadata.ownerReferences?.[0]?.name === name)).toEqual([]);
    kubectlOk(["delete", "memex", name, "-n", env.ns, "--wait=false"]);
    await waitFor("the invalid experiment gone", () => kubectl(["get", "memex", name, "-n", env.ns]).code !== 0);
  });
});
