// A test namespace whose pods all land on the pod runner's node, placed by the namespace alone (the apiserver's
// PodNodeSelector and PodTolerationRestriction admission plugins, enabled by test/cluster/up.sh): experiments are
// applied exactly as written, with nothing added to their specs.
import { createNamespace, kubectl, kubectlJson, kubectlOk } from "../cluster/kubectl.ts";
import { RUNNER_NODE } from "./pod-runner.ts";

const NODE_ROLE = "memeops.io/node-role=e2e-runner";
const TOLERATION = { key: "memeops.io/e2e-runner", operator: "Equal", value: "local", effect: "NoSchedule" };

export function runnerNamespace(prefix: string): string {
  const node = kubectl(["get", "node", RUNNER_NODE, "-o", "json"]);
  if (node.code !== 0) {
    throw new Error(`node ${RUNNER_NODE} is missing: this cluster was started by an older test/cluster/up.sh; restart it (make cluster-down)`);
  }
  const ns = createNamespace(prefix);
  kubectlOk([
    "annotate", "namespace", ns,
    `scheduler.alpha.kubernetes.io/node-selector=${NODE_ROLE}`,
    `scheduler.alpha.kubernetes.io/defaultTolerations=${JSON.stringify([TOLERATION])}`,
  ]);
  return ns;
}

/** Where a pod of the namespace was bound, or undefined while it is not. */
export const nodeOf = (ns: string, pod: string): string | undefined => kubectlJson(["get", "pod", pod, "-n", ns]).spec.nodeName;
