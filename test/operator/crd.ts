// Installs the generated MemeExperiment CRD, exactly as users do, for the operator tests.
import { kubectlOk } from "../cluster/kubectl.ts";

export function installCrd(): void {
  kubectlOk(["apply", "--server-side", "--force-conflicts", "-f", "crds/memeexperiment.yaml"]);
  kubectlOk(["wait", "--for=condition=Established", "crd/memeexperiments.memeops.io", "--timeout=60s"]);
}
