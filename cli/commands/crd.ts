import { memeExperimentCrdYaml } from "../../api/v1alpha1/crd.ts";
import { apiReferenceMarkdown } from "../../api/v1alpha1/reference.ts";
import { type Command, UsageError, wantsHelp } from "../command.ts";

export const crdCommand: Command = {
  name: "crd",
  summary: "print the MemeExperiment CustomResourceDefinition (YAML)",
  help: `Usage: memeops crd [--reference]

Print the CustomResourceDefinition generated from the API schema (api/v1alpha1). crds/memeexperiment.yaml is this
output; apply it with: memeops crd | kubectl apply --server-side -f -
With --reference, print the field reference in Markdown instead (docs/api-reference.md).`,
  async run(args) {
    if (wantsHelp(args)) return (console.log(this.help), 0);
    if (args.length > 1 || (args.length === 1 && args[0] !== "--reference")) throw new UsageError(`unexpected ${args.join(" ")}`);
    process.stdout.write(args[0] === "--reference" ? apiReferenceMarkdown() : memeExperimentCrdYaml());
    return 0;
  },
};
