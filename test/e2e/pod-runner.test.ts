// The pod runner on plain Jobs (no operator): whatever exit code and termination message the real process leaves
// reach the pod's container status through kwok; what it cannot run is ended with a message saying why.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deleteNamespace, kubeconfig, kubectlJson, kubectlOk, waitFor } from "../cluster/kubectl.ts";
import { PodRunner, RUNNER_NODE } from "./pod-runner.ts";
import { runnerNamespace } from "./runner-namespace.ts";

type Obj = any; // eslint-disable-line @typescript-eslint/no-explicit-any
let ns = "";
let runner: PodRunner | undefined;

beforeAll(() => {
  ns = runnerNamespace("memeops-runner");
  runner = new PodRunner({ kubeconfig: kubeconfig(), namespace: ns }).start();
});
afterAll(async () => {
  await runner?.stop();
  if (ns) deleteNamespace(ns);
});

const job = (name: string, command: string[]) =>
  JSON.stringify({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: ns },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          containers: [{ name: "c", image: "memeops/trainer:test", command, terminationMessagePolicy: "FallbackToLogsOnError" }],
        },
      },
    },
  });

const finishedPod = (name: string) => () =>
  kubectlJson(["get", "pods", "-n", ns, "-l", `batch.kubernetes.io/job-name=${name}`]).items.find((p: Obj) => ["Succeeded", "Failed"].includes(p.status.phase));

describe("pod runner", () => {
  test.each([
    ["help", ["memeops", "--help"], "Succeeded", 0, "Completed", ""],
    // a usage error: exit 2, and (no termination message file written) the log's tail as the message
    ["usage", ["memeops", "trainer", "train"], "Failed", 2, "Error", "no experiment: set MEMEOPS_EXPERIMENT"],
  ] as const)("%s: the process's exit code and message reach the pod", async (name, command, phase, exitCode, reason, message) => {
    kubectlOk(["apply", "-f", "-"], { input: job(name, [...command]) });
    const pod: Obj = await waitFor(`${name} to finish`, finishedPod(name), { timeoutMs: 120_000 });
    expect(pod.spec.nodeName).toBe(RUNNER_NODE);
    expect(pod.status.phase).toBe(phase);
    const terminated = pod.status.containerStatuses[0].state.terminated;
    expect(terminated).toMatchObject({ exitCode, reason });
    if (message) expect(terminated.message).toContain(message);
    else expect(terminated.message).toBeUndefined();
    const run = [...runner!.runs.values()].find((r) => r.pod === pod.metadata.name);
    expect(run?.exitCode).toBe(exitCode);
    expect(runner!.errors).toEqual([]);
  });

  test("a pod it cannot run faithfully is ended with 128 and a message naming why", async () => {
    kubectlOk(["apply", "-f", "-"], { input: job("python", ["python", "train.py"]) });
    const pod: Obj = await waitFor("python to finish", finishedPod("python"), { timeoutMs: 120_000 });
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 128, reason: "Error" });
    expect(pod.status.containerStatuses[0].state.terminated.message).toContain("no local executable for the image's python");
  });
});
