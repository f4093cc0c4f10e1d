// `memeops sweep run FILE`: a MemeSweep on this machine, with no cluster: trials as `memeops run` processes.
import { join } from "node:path";
import { type Command, parseFlags, UsageError, wantsHelp } from "../command.ts";
import { formatTable } from "../sweep/report.ts";
import { runSweep } from "../sweep/runner.ts";
import { loadOneSweep } from "../../api/load.ts";

const help = `Usage: memeops sweep run FILE [--parallel N] [--out DIR] [--storage DIR] [--tracking-uri URI]

Run the MemeSweep in FILE here: each trial is the trial template with the parameters the search algorithm chose
(grid, random or tpe), run as a \`memeops run\` child process, one at a time or N at a time (--parallel, default
spec.budget.parallelism). After every epoch a trial reports, spec.earlyStopping (median or asha) judges its
objective against the other trials' at that epoch; a pruned trial is stopped (SIGTERM) and ends Pruned.
The sweep ends as the operator's does: once a succeeded trial reached spec.objective.goal (GoalReached), more than
spec.budget.maxFailedTrials failed (TooManyFailedTrials) or spec.budget.maxDuration passed since the command started
(MaxDurationReached), no trial starts and the running ones are stopped (Pruned, SweepEnded); after
spec.budget.maxTrials trials (BudgetExhausted) or the grid's last point (SpaceExhausted) the running ones finish.
Succeeded needs a trial that succeeded. A sweep with spec.suspend: true is refused (set it to false to run it here);
Kueue labels and resources do not apply. Ctrl-C stops the sweep and its trials (Interrupted).
MLflow: a run for the sweep, each trial's run its child (mlflow.parentRunId, passed to the trial as MLFLOW_RUN_ID),
a pruned trial's run KILLED with the memeops.pruned tags, trials.csv on the sweep's run at the end.
Writes under DIR (default .memeops/sweeps/NAME): sweep.json (the trials' parameters, written before each starts,
phase, value, epoch, per-epoch objective, why it was pruned, its process id and MLflow run; the best trial), trials.csv (one row per trial: parameters, value),
and trials/NAME/ per trial: experiment.yaml, run.log (its output) and run/ (its memeops run output).
Prints a line per trial event and a table at the end (the best trial marked *).
Exit 0 when the sweep succeeds (a trial succeeded and no more than maxFailedTrials failed); 1 otherwise; 2 on usage errors.
  --storage       downloads, generated data and caches shared by the trials (default .memeops/storage)
  --tracking-uri  where the sweep's and the trials' runs go (default $MLFLOW_TRACKING_URI, else the template's
                  tracking.uri, else the file store .memeops/mlruns)`;

export const sweepCommand: Command = {
  name: "sweep",
  summary: "run a hyperparameter sweep on this machine, without a cluster",
  help,
  async run(args) {
    if (wantsHelp(args)) return (console.log(help), 0);
    const [sub, ...rest] = args;
    if (sub !== "run") throw new UsageError(sub ? `unknown subcommand '${sub}' (expected: run)` : "expected a subcommand: run");
    const { values, positionals } = parseFlags(rest, {
      parallel: { type: "string" },
      out: { type: "string" },
      storage: { type: "string" },
      "tracking-uri": { type: "string" },
    });
    if (positionals.length !== 1) throw new UsageError("expected exactly one FILE");
    const parallel = values.parallel === undefined ? undefined : Number(values.parallel);
    if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1)) throw new UsageError(`--parallel: '${values.parallel}' is not an integer >= 1`);
    const sweep = await loadOneSweep(positionals[0]!);
    const out = values.out ?? `.memeops/sweeps/${sweep.metadata.name}`;
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once("SIGINT", onSigint);
    try {
      const result = await runSweep(sweep, {
        out,
        storage: values.storage ?? ".memeops/storage",
        parallel,
        trackingUri: values["tracking-uri"],
        log: (line) => console.log(line),
        signal: abort.signal,
      });
      console.log(formatTable(result));
      console.log(`results: ${join(out, "sweep.json")}, ${join(out, "trials.csv")}`);
      return result.phase === "Succeeded" ? 0 : 1;
    } finally {
      process.off("SIGINT", onSigint);
    }
  },
};
