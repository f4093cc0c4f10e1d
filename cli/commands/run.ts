// `memeops run FILE`: the same experiment file, on this machine, with no cluster.
import { loadOneExperiment } from "../../api/load.ts";
import { describePlan, STAGES, stagesFor, type Stage } from "../../trainer-image/src/stages/plan.ts";
import { formatPrepareReport, prepare } from "../../trainer-image/src/stages/prepare.ts";
import { type Command, parseFlags, UsageError, wantsHelp } from "../command.ts";

const help = `Usage: memeops run FILE [--out DIR] [--storage DIR] [--stages prepare,train,evaluate] [--dry-run]

Run the MemeExperiment in FILE here: prepare the data and features, train (or evaluate, or predict), check the
predictions, and write metrics, checkpoints and predictions under DIR (default .memeops/runs/NAME).
  --storage  downloads, generated data and caches, shared between experiments (default .memeops/storage;
             spec.dataset.storage.path is where they live inside the cluster)
  --stages   run only these stages (default: all the stages of the experiment's mode)
  --dry-run  print what would run, and run nothing`;

export const runCommand: Command = {
  name: "run",
  summary: "run an experiment on this machine, without a cluster",
  help,
  async run(args) {
    if (wantsHelp(args)) return (console.log(help), 0);
    const { values, positionals } = parseFlags(args, {
      out: { type: "string" },
      stages: { type: "string" },
      storage: { type: "string" },
      "dry-run": { type: "boolean" },
    });
    if (positionals.length !== 1) throw new UsageError("expected exactly one FILE");
    const experiment = await loadOneExperiment(positionals[0]!);
    const planned = stagesFor(experiment.spec);
    const stages = values.stages ? parseStages(values.stages, planned) : planned;
    const out = values.out ?? `.memeops/runs/${experiment.metadata.name}`;
    console.log(`${experiment.metadata.name}: ${experiment.spec.mode}, output in ${out}`);
    describePlan(experiment.spec).forEach(({ stage, text }, i) => {
      console.log(`  ${i + 1}. ${stage}: ${text}${stages.includes(stage) ? "" : " (skipped)"}`);
    });
    if (values["dry-run"]) return 0;
    if (stages.includes("prepare")) {
      const report = await prepare(experiment.spec, {
        workDir: out,
        storageDir: values.storage ?? ".memeops/storage",
        log: (line) => console.error(`[prepare] ${line}`),
      });
      console.log(formatPrepareReport(report));
    }
    const pendingStages = stages.filter((s) => s !== "prepare");
    if (pendingStages.length) {
      process.stderr.write(`memeops run: the ${pendingStages.join(", ")} stage(s) are not implemented in this version yet\n`);
      return 2;
    }
    return 0;
  },
};

function parseStages(text: string, planned: Stage[]): Stage[] {
  const stages = text.split(",").map((s) => s.trim()) as Stage[];
  for (const s of stages) {
    if (!(STAGES as readonly string[]).includes(s)) throw new UsageError(`--stages: unknown stage '${s}' (one of ${STAGES.join(", ")})`);
    if (!planned.includes(s)) throw new UsageError(`--stages: '${s}' is not a stage of this experiment (${planned.join(", ")})`);
  }
  return stages;
}
