// `memeops run FILE`: the same experiment file, on this machine, with no cluster.
import { loadOneExperiment } from "../../api/load.ts";
import { describePlan, stagesFor } from "../../api/contract/stages.ts";
import { mlflowExperimentName } from "../../api/contract/mlflow.ts";
import { chooseStages, StageListError } from "../../trainer-image/src/stages/stage-list.ts";
import { formatPrepareReport } from "../../trainer-image/src/stages/prepare.ts";
import { exitCodeOf, runStages } from "../../trainer-image/src/stages/stage-driver.ts";
import { formatEpoch, formatSummary, logTrainEvent } from "../../trainer-image/src/stages/results.ts";
import { jsonLogger, type Logger } from "../../api/contract/log.ts";
import type { TrainEvent } from "../../trainer-image/src/training/loop.ts";
import { createRunTracker, resolveTrackingTarget, viewHint } from "../../trainer-image/src/stages/mlflow-run.ts";
import { installExitHandlers, type TerminalStatus } from "../../tracking/index.ts";
import { type Command, parseFlags, UsageError, wantsHelp } from "../command.ts";
import { EpochProgressBar } from "../progress-bar.ts";

const help = `Usage: memeops run FILE [--out DIR] [--storage DIR] [--stages prepare,train,evaluate] [--resume] [--dry-run]
                    [--tracking-uri URI]

Run the MemeExperiment in FILE here: prepare the data and features, train (or evaluate, or predict), check the
predictions, and write under DIR (default .memeops/runs/NAME): prepared/, checkpoints/ (latest and best epoch),
predictions.csv, the pictures roc.svg/.png and training-curves.svg/.png, and results.json (epochs, bestEpoch,
bestValAuroc, test, checks, checkpointUri: the fields the operator puts into status; run.plots lists the pictures).
On a terminal: a progress bar per epoch on stderr (steps, samples/s, ETA) and one line per finished epoch; JSON lines
when stdout is not a terminal. A summary at the end.
Exit 0 when the checks pass; 1 when spec.checks.enforce is true and a check fails (named), or on an error; 2 on usage errors.
The tfjs backend is the fastest that loads (MEMEOPS_BACKEND=wasm|cpu|tensorflow|tensorflow-gpu forces one).
Evaluate and predict modes read spec.model.initialWeights here as:
  uri            a local checkpoint directory (a checkpoints/ root with best.json, or one epoch directory);
                 file:// URIs too; https:// and hf:// are not fetched by \`memeops run\`
  fromExperiment NAME: the local run .memeops/runs/NAME/checkpoints (the default --out), or
                 $MEMEOPS_RUNS_DIR/NAME/checkpoints; a run written with another --out must be named by uri: DIR/checkpoints
  --storage  downloads, generated data and caches, shared between experiments (default .memeops/storage;
             spec.dataset.storage.path is where they live inside the cluster)
  --stages   run only these stages (default: all the stages of the experiment's mode)
  --resume   continue training from DIR/checkpoints when a checkpoint is there
  --dry-run  print what would run, and run nothing
  --tracking-uri  the MLflow run's store (default $MLFLOW_TRACKING_URI, else spec.tracking.uri, else the local file
             store .memeops/mlruns): http(s):// for a server, file:// or a path for a file store. Every run is logged:
             run name = the experiment's name, MLflow experiment = spec.tracking.experimentName (default: metadata.namespace, else memeops);
             params, per-epoch metrics (step = epoch), test metrics, validation_<check> 1/0, confusion counts, and
             results.json, predictions.csv, experiment.yaml and the best checkpoint as artifacts. Final status:
             FINISHED; FAILED on an error or an enforced failing check; KILLED on Ctrl-C/SIGTERM. An unreachable
             server does not stop the run (one warning; points are buffered and sent if it comes back).
             $MLFLOW_RUN_ID: log into this existing run instead of creating one (memeops sweep run sets it).
             View a file store: MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri file://ABS/.memeops/mlruns`;

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
      resume: { type: "boolean" },
      "tracking-uri": { type: "string" },
    });
    if (positionals.length !== 1) throw new UsageError("expected exactly one FILE");
    const experiment = await loadOneExperiment(positionals[0]!);
    const stages = stagesToRun(values.stages, stagesFor(experiment.spec));
    const out = values.out ?? `.memeops/runs/${experiment.metadata.name}`;
    console.log(`${experiment.metadata.name}: ${experiment.spec.mode}, output in ${out}`);
    describePlan(experiment.spec).forEach(({ stage, text }, i) => {
      console.log(`  ${i + 1}. ${stage}: ${text}${stages.includes(stage) ? "" : " (skipped)"}`);
    });
    const target = resolveTrackingTarget(experiment.spec, values["tracking-uri"]);
    console.log(`  tracking: ${target.uri} (${target.from}), experiment ${mlflowExperimentName(experiment.metadata, experiment.spec)}, run ${experiment.metadata.name}`);
    if (values["dry-run"]) return 0;
    const tracker = createRunTracker(experiment, target, target.kind === "rest" ? { finishTimeoutMs: 30_000 } : {});
    const removeExitHandlers = installExitHandlers(tracker, { logger: { debug() {}, info() {}, warn: console.error, error: console.error } });
    void tracker.start();
    let status: TerminalStatus = "FAILED";
    try {
      const code = await runChosenStages();
      status = code === 0 ? "FINISHED" : "FAILED";
      return code;
    } finally {
      // a server that was never reachable gets a shorter last chance than one that is merely slow
      const ok = await tracker.finish(status, tracker.offline ? { timeoutMs: 10_000 } : {});
      removeExitHandlers();
      if (tracker.runId) {
        const dropped = tracker.dropped ? ` (${tracker.dropped} items dropped)` : "";
        console.log(`mlflow: run ${tracker.runId} ${ok ? status : `(status ${status} not recorded)`} in ${target.uri}${dropped}`);
        console.log(target.kind === "rest" && tracker.url ? `  view: ${tracker.url}` : `  view: ${viewHint(target)}`);
      }
    }

    async function runChosenStages(): Promise<number> {
      const results = await runStages(experiment, {
        stages,
        workDir: out,
        storageDir: values.storage ?? ".memeops/storage",
        prepareLog: (line) => console.error(`[prepare] ${line}`),
        onPrepared: (report) => console.log(formatPrepareReport(report)),
        resume: values.resume ?? false,
        log: (line) => console.error(`[train] ${line}`),
        onEvent: progressPrinter(Boolean(process.stdout.isTTY), process.stderr.isTTY ? new EpochProgressBar(process.stderr) : undefined),
        tracker,
      });
      if (!results) return 0;
      console.log(formatSummary(results));
      console.log(`results: ${out}/results.json`);
      if (exitCodeOf(results)) process.stderr.write(`memeops run: check(s) failed: ${results.run.failedChecks.join(", ")}\n`);
      return exitCodeOf(results);
    }
  },
};

function stagesToRun(text: string | undefined, planned: ReturnType<typeof stagesFor>) {
  try {
    return chooseStages(text ? text.split(",").map((s) => s.trim()) : undefined, planned);
  } catch (err) {
    throw err instanceof StageListError ? new UsageError(`--stages: ${err.message}`) : err;
  }
}

/**
 * A readable line per epoch on a terminal, with a progress bar within the epoch when stderr is one too; otherwise
 * the JSON log lines `memeops trainer` writes (start, epoch, early_stop, end events).
 */
export function progressPrinter(tty: boolean, bar?: EpochProgressBar, log: Pick<Logger, "info"> = jsonLogger({ write: (l) => console.log(l) })): (e: TrainEvent) => void {
  let total = 0;
  return (e) => {
    if (e.type === "start") total = e.epochs;
    bar?.onEvent(e);
    if (!tty) return logTrainEvent(log, e);
    if (e.type === "epoch") console.log(formatEpoch(e.metrics, { total, improved: e.improved, seconds: e.seconds, samplesPerSecond: e.samplesPerSecond }));
    if (e.type === "early_stop") console.log(`early stop after epoch ${e.epoch} (best epoch ${e.bestEpoch ?? "-"})`);
  };
}
