// Installs the generated CRDs (MemeExperiment, MemeSweep), exactly as users do, for the operator tests.
import { kubectlOk } from "../cluster/kubectl.ts";

export function installCrd(): void {
  for (const plural of ["memeexperiments", "memesweeps"]) {
    kubectlOk(["apply", "--server-side", "--force-conflicts", "-f", `crds/${plural.slice(0, -1)}.yaml`]);
    kubectlOk(["wait", "--for=condition=Established", `crd/${plural}.memeops.io`, "--timeout=60s"]);
  }
}
