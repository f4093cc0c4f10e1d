import { loadExperimentFiles } from "../../api/load.ts";
import { type Command, UsageError, wantsHelp } from "../command.ts";

export const validateCommand: Command = {
  name: "validate",
  summary: "check MemeExperiment and MemeSweep files against the API schema",
  help: `Usage: memeops validate FILE...

Exit 0 when every document of every file is a valid MemeExperiment or MemeSweep (a sweep's parameter values are
also set on its trial template, each domain's extremes and every categorical value, and checked as a trial). Otherwise print one line per problem,
FILE: spec.path.to.field: what is wrong, and exit 1. A file with several YAML documents is checked document by
document (FILE#N names the Nth).`,
  async run(args) {
    if (wantsHelp(args)) return (console.log(this.help), 0);
    const files = args.filter((a) => !a.startsWith("-"));
    if (files.length === 0 || files.length !== args.length) throw new UsageError("expected one or more FILE arguments");
    const docs = await loadExperimentFiles(files);
    let bad = 0;
    for (const doc of docs) {
      for (const p of doc.problems) console.log(`${doc.source}: ${p.path}: ${p.message}`);
      if (doc.problems.length) bad++;
      else console.error(`${doc.source}: valid (${doc.sweep ? `MemeSweep ${doc.sweep.metadata.name}` : doc.experiment?.metadata.name})`);
    }
    return bad ? 1 : 0;
  },
};
