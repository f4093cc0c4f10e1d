import { memeExperimentCrdYaml } from "../../api/v1alpha1/crd.ts";
import { type Command, wantsHelp } from "../command.ts";

export const crdCommand: Command = {
  name: "crd",
  summary: "print the MemeExperiment CustomResourceDefinition (YAML)",
  help: `Usage: memeops crd

Print the CustomResourceDefinition generated from the API schema (api/v1alpha1). crds/memeexperiment.yaml is this
output; apply it with: memeops crd | kubectl apply --server-side -f -`,
  async run(args) {
    if (wantsHelp(args)) return (console.log(this.help), 0);
    process.stdout.write(memeExperimentCrdYaml());
    return 0;
  },
};
