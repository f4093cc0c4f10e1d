// The test control plane behaves like a cluster with a GPU node: the real scheduler places GPU
// Jobs on the kwok node, the real Job controller turns kwok-simulated pod endings into Job
// status, and the real garbage collector removes a deleted Job's pods.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createNamespace, deleteNamespace, kubectl, kubectlJson, kubectlOk, waitFor } from "./kubectl.ts";

const NODE = "kwok-gpu-node-0";
let ns = "";
beforeAll(() => {
  ns = createNamespace("memeops-test-jobs");
});
afterAll(() => deleteNamespace(ns));

function job(name: string, opts: { outcome?: string; after?: string; gpus?: number } = {}): string {
  const labels = opts.outcome ? { "memeops.io/test-outcome": opts.outcome } : {};
  const annotations = opts.after ? { "memeops.io/test-outcome-after": opts.after } : {};
  const gpus = String(opts.gpus ?? 1);
  return JSON.stringify({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: ns },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels, annotations },
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: "trainer",
              image: "memeops/trainer:test",
              resources: { limits: { "nvidia.com/gpu": gpus }, requests: { "nvidia.com/gpu": gpus } },
            },
          ],
        },
      },
    },
  });
}

type Obj = any;
const podsOf = (name: string): Obj[] =>
  kubectlJson(["get", "pods", "-n", ns, "-l", `batch.kubernetes.io/job-name=${name}`]).items;
const jobCondition = (name: string, type: string): Obj | undefined =>
  (kubectlJson(["get", "job", name, "-n", ns]).status.conditions ?? []).find(
    (c: Obj) => c.type === type && c.status === "True",
  );

describe("the kwok GPU node", () => {
  test("advertises 8 nvidia.com/gpu and is Ready", () => {
    const node = kubectlJson(["get", "node", NODE]);
    expect(node.status.allocatable["nvidia.com/gpu"]).toBe("8");
    expect(node.status.conditions.find((c: Obj) => c.type === "Ready").status).toBe("True");
    expect(node.spec.taints ?? []).toEqual([]);
  });

  test("a GPU Job's pod is scheduled there and stays Running without an outcome label", async () => {
    kubectlOk(["apply", "-f", "-"], { input: job("gpu-running") });
    const pod = await waitFor("the pod to run", () => podsOf("gpu-running").find((p) => p.status.phase === "Running"));
    expect(pod.spec.nodeName).toBe(NODE);
    expect(pod.spec.containers[0].resources.limits["nvidia.com/gpu"]).toBe("1");
    expect(pod.status.containerStatuses[0].state.running).toBeDefined();
    // It must still be running a little later: only a test-outcome label ends a pod.
    await new Promise((r) => setTimeout(r, 2000));
    expect(podsOf("gpu-running")[0].status.phase).toBe("Running");
    expect(jobCondition("gpu-running", "Complete")).toBeUndefined();
  });

  test("a pod asking for more GPUs than the node has stays Pending (the scheduler counts GPUs)", async () => {
    kubectlOk(["apply", "-f", "-"], { input: job("too-many-gpus", { gpus: 9 }) });
    const cond = await waitFor("the Unschedulable condition", () =>
      podsOf("too-many-gpus")[0]?.status.conditions?.find((c: Obj) => c.type === "PodScheduled" && c.status === "False"),
    );
    expect(cond.reason).toBe("Unschedulable");
    expect(cond.message).toContain("nvidia.com/gpu");
  });
});

describe("memeops.io/test-outcome decides how a Job's pod ends", () => {
  test.each([
    ["succeeded", "Succeeded", "Completed", 0, "Complete"],
    ["failed", "Failed", "Error", 1, "Failed"],
    ["oomkilled", "Failed", "OOMKilled", 137, "Failed"],
  ] as const)("%s: pod %s (%s, exit code %i), Job %s", async (outcome, phase, reason, exitCode, jobCond) => {
    const name = `outcome-${outcome}`;
    kubectlOk(["apply", "-f", "-"], { input: job(name, { outcome }) });
    const cond = await waitFor(`Job condition ${jobCond}`, () => jobCondition(name, jobCond), {
      timeoutMs: 90_000,
    });
    if (jobCond === "Failed") expect(cond.reason).toBe("BackoffLimitExceeded");
    const [pod, ...others] = podsOf(name);
    expect(others).toHaveLength(0); // backoffLimit 0: no retry
    expect(pod.spec.nodeName).toBe(NODE);
    expect(pod.status.phase).toBe(phase);
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ reason, exitCode });
    const status = kubectlJson(["get", "job", name, "-n", ns]).status;
    expect(phase === "Succeeded" ? status.succeeded : status.failed).toBe(1);
  });

  test("memeops.io/test-outcome-after delays the ending", async () => {
    kubectlOk(["apply", "-f", "-"], { input: job("delayed", { outcome: "succeeded", after: "4s" }) });
    await waitFor("the pod to run", () => podsOf("delayed").find((p) => p.status.phase === "Running"));
    const started = Date.now();
    await waitFor("Job Complete", () => jobCondition("delayed", "Complete"));
    expect(Date.now() - started).toBeGreaterThan(2500);
  });

  test("the outcome can also be set later, on a running pod", async () => {
    kubectlOk(["apply", "-f", "-"], { input: job("late-outcome") });
    const pod = await waitFor("the pod to run", () => podsOf("late-outcome").find((p) => p.status.phase === "Running"));
    kubectlOk(["label", "pod", pod.metadata.name, "-n", ns, "memeops.io/test-outcome=succeeded"]);
    await waitFor("Job Complete", () => jobCondition("late-outcome", "Complete"));
  });
});

describe("deleting a Job garbage-collects its pods", () => {
  test.each(["background", "foreground"])("propagation %s", async (policy) => {
    const name = `gc-${policy}`;
    kubectlOk(["apply", "-f", "-"], { input: job(name) });
    await waitFor("the pod to run", () => podsOf(name).find((p) => p.status.phase === "Running"));
    kubectlOk(["delete", "job", name, "-n", ns, `--cascade=${policy}`, "--wait=false"]);
    await waitFor("the pods to disappear", () => podsOf(name).length === 0, { timeoutMs: 90_000 });
    await waitFor("the Job to disappear", () => kubectl(["get", "job", name, "-n", ns]).code !== 0);
  });
});
