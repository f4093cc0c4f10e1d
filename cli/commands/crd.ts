import { crdYaml, KINDS, type KindKey } from "../../api/v1alpha1/crd.ts";
import { apiReferenceMarkdown } from "../../api/v1alpha1/reference.ts";
import { type Command, UsageError, wantsHelp } from "../command.ts";

const kinds = Object.keys(KINDS) as KindKey[];

export const crdCommand: Command = {
  name: "crd",
  summary: "print the CustomResourceDefinitions of MemeExperiment and MemeSweep (YAML)",
  help: `Usage: memeops crd [--kind ${kinds.join("|")}] [--reference]

Print the CustomResourceDefinitions generated from the API schema (api/v1alpha1), both kinds as two YAML documents,
or one with --kind. crds/NAME.yaml is \`memeops crd --kind NAME\`; apply them with:
  memeops crd | kubectl apply --server-side -f -
With --reference, print the field reference in Markdown instead (docs/api-reference.md).`,
  async run(args) {
    if (wantsHelp(args)) return (console.log(this.help), 0);
    if (args[0] === "--reference" && args.length === 1) return (process.stdout.write(apiReferenceMarkdown()), 0);
    if (args.length === 0) return (process.stdout.write(kinds.map(crdYaml).join("---\n")), 0);
    const kind = args[1] as KindKey;
    if (args.length !== 2 || args[0] !== "--kind" || !kinds.includes(kind)) throw new UsageError(`unexpected ${args.join(" ")}: expected [--kind ${kinds.join("|")}] or --reference`);
    process.stdout.write(crdYaml(kind));
    return 0;
  },
};
