// The one kubelet step kwok's stages cannot take for the operator tests: a trainer that exits 0 after writing its
// result to /dev/termination-log. The test writes the pod status a kubelet would write (phase Succeeded, the
// container terminated with exit code 0 and that message); kwok leaves a pod alone once it is no longer Running.
import type { KubeClient } from "../../operator/kube/client.ts";
import { mergePatch } from "../../operator/kube/patch.ts";
import { paths } from "../../operator/kube/paths.ts";
import type { Obj } from "./operator-harness.ts";

export async function succeedPod(client: KubeClient, pod: Obj, terminationMessage: string): Promise<void> {
  const now = new Date().toISOString();
  const startedAt = pod.status?.startTime ?? now;
  await mergePatch(client, `${paths.pod(pod.metadata.namespace, pod.metadata.name)}/status`, {
    status: {
      phase: "Succeeded",
      conditions: ["Ready", "ContainersReady"].map((type) => ({ type, status: "False", reason: "PodCompleted", lastTransitionTime: now })),
      containerStatuses: pod.spec.containers.map((c: Obj) => ({
        name: c.name,
        image: c.image,
        imageID: "",
        ready: false,
        restartCount: 0,
        started: false,
        state: { terminated: { exitCode: 0, reason: "Completed", message: terminationMessage, startedAt, finishedAt: now } },
      })),
    },
  });
}
