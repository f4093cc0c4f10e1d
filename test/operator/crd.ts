// Installs the generated CRDs (MemeExperiment, MemeSweep), exactly as users do, for the operator tests.
import { kubectl, kubectlOk } from "../cluster/kubectl.ts";

export function installCrd(): void {
  for (const plural of ["memeexperiments", "memesweeps"]) {
    kubectlOk(["apply", "--server-side", "--force-conflicts", "-f", `crds/${plural.slice(0, -1)}.yaml`]);
    kubectlOk(["wait", "--for=condition=Established", `crd/${plural}.memeops.io`, "--timeout=60s"]);
    servingLists(plural);
  }
}

/**
 * Established is not enough: a new CRD's storage answers 429 "storage is (re)initializing" to lists until its watch
 * cache is ready, which a first test on a cold cluster met. Wait until a list is served.
 */
function servingLists(plural: string): void {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = kubectl(["get", `${plural}.memeops.io`, "--all-namespaces", "-o", "name"]);
    if (r.code === 0) return;
    if (Date.now() > deadline) throw new Error(`kubectl get ${plural} still failing after the CRD was Established: ${r.stderr}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
  }
}
