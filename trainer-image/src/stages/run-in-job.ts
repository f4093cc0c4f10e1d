// `memeops trainer STAGE...`: the trainer inside a Kubernetes Job, with the environment operator/builders/job.ts gives
// it. It runs the named stages of the experiment in MEMEOPS_EXPERIMENT (or --experiment FILE) in a work dir under
// MEMEOPS_DATA_DIR, so a later Job (one per stage with a PersistentVolumeClaim) continues from what an earlier one
// left: prepared data, checkpoints (a retried train Job resumes from the last one), results.json. It reports to the
// operator (Reporter: progress at each stage start and epoch, the result as termination message and POST), logs
// JSON lines, and logs to the MLflow run when MLFLOW_TRACKING_URI is set.
// MLflow: with MLFLOW_RUN_ID the operator created the run and sets its final status from the experiment's outcome
// (docs/operator.md), so the trainer only logs into it and flushes before exiting, also on SIGTERM or a crash; a
// stage Job must not mark the run FINISHED while later stages are still to come. Without MLFLOW_RUN_ID (MLflow was
// down when the Job was built) the trainer's run is found or created by the experiment's UID and this process sets
// its status, as `memeops run` does.
// Exit codes: 0 success; 1 a stage failed (also by an uncaught exception or unhandled rejection) or an enforced check
// failed; 143 SIGTERM; 2 usage (TrainerUsageError). Each failure is also the termination message (termination.ts).
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { MemeExperiment } from "../../../api/v1alpha1/memeexperiment.ts";
import { API_VERSION, KIND } from "../../../api/v1alpha1/groupversion.ts";
import { parseMemeExperiment } from "../../../api/v1alpha1/parse.ts";
import { loadOneExperiment } from "../../../api/load.ts";
import { Reporter } from "./reporter.ts";
import { createTrackerFromEnv, installExitHandlers, type RunTracker, type TerminalStatus } from "../../../tracking/index.ts";
import { describePlan, stagesFor, type Stage } from "../../../api/contract/stages.ts";
import { mlflowExperimentName } from "../../../api/contract/mlflow.ts";
import { chooseStages, StageListError } from "./stage-list.ts";
import { formatPrepareReport } from "./prepare.ts";
import { exitCodeOf, runStages } from "./stage-driver.ts";
import { jsonLogger, type JsonLogger, type LineSink } from "../../../api/contract/log.ts";
import { ProgressSender, resultOf } from "./job-report.ts";
import { logTrainEvent } from "./results.ts";
import { installEndingGuard, recordEnding } from "./termination.ts";

/** A problem with how the trainer was started (arguments, environment, spec): exit code 2. */
export class TrainerUsageError extends Error {}

export interface TrainerArgs {
  stages: string[];
  /** an experiment file instead of MEMEOPS_EXPERIMENT */
  experimentFile?: string;
}

export interface TrainerIo {
  env: Record<string, string | undefined>;
  stdout: LineSink;
  stderr: LineSink;
  /** a report within an epoch at most this often (default 10 s) */
  progressIntervalMs?: number;
}

/** Runs the stages; resolves to the exit code (0 or 1); throws TrainerUsageError before any stage runs. */
export async function runTrainer(args: TrainerArgs, io: TrainerIo): Promise<number> {
  const experiment = await loadExperiment(io.env, args.experimentFile);
  const stages = checkStages(args.stages, experiment);
  const { env } = io;
  const dataDir = resolve(env.MEMEOPS_DATA_DIR || experiment.spec.dataset.storage.path);
  const workDir = jobWorkDir(dataDir, experiment.metadata);
  const log = jsonLogger({ out: io.stdout, err: io.stderr, base: { experiment: experiment.metadata.name } });
  const reporter = Reporter.fromEnv(env, { warn: (m) => log.warn(m, { component: "reporter" }) });
  const progress = new ProgressSender(reporter, log, { intervalMs: io.progressIntervalMs ?? 10_000 });
  const later = stages.filter((s) => s !== "prepare");
  let code = 1;
  let resultWritten = false;
  let stage: Stage = stages[0]!;
  const mlflow = later.length ? openTracking(experiment, env, log) : undefined;
  // crashes outside the awaited chain (a callback's exception, a promise nobody awaits) and SIGTERM end here
  let failureWritten = false;
  const removeGuard = installEndingGuard({
    env, log, stage: () => stage, messageWritten: () => resultWritten || failureWritten, exitsElsewhere: () => mlflow?.exitsOnCrash ?? false,
  });

  log.info(`memeops trainer: stages ${stages.join(", ")} of ${experiment.metadata.name} (${experiment.spec.mode}) in ${workDir}`, { stages, workDir, dataDir });
  const plan = new Map(describePlan(experiment.spec).map((p) => [p.stage, p.text]));
  try {
    await mkdir(workDir, { recursive: true });
    const prepareLog = log.with({ stage: "prepare" });
    const results = await runStages(experiment, {
      stages,
      workDir,
      storageDir: dataDir,
      prepareLog: (line) => prepareLog.info(line),
      onPrepared: (report) => prepareLog.info(formatPrepareReport(report).split("\n")[0]!, { fingerprint: report.fingerprint, reused: report.reused, output: report.output }),
      // a retried Job continues from the last checkpoint of the try before it
      resume: true,
      log: (line) => log.info(line, { stage }),
      onStage: (s) => {
        stage = s;
        progress.stage(s, plan.get(s)!);
      },
      onEvent: (e) => {
        progress.onTrainEvent(e);
        logTrainEvent(log, e, { stage: "train" });
      },
      ...(mlflow && { tracker: mlflow.tracker }),
    });
    if (results) {
      const result = resultOf(results, log);
      if (result) {
        await reporter.result(result);
        resultWritten = true;
      }
      log.info(`results: ${join(workDir, "results.json")}`, { results: join(workDir, "results.json"), plots: results.run.plots?.map((p) => p.png ?? p.svg) });
      if (exitCodeOf(results)) log.error(`check(s) failed: ${results.run.failedChecks.join(", ")} (checks.enforce is true)`, { failedChecks: results.run.failedChecks });
    }
    return (code = exitCodeOf(results));
  } catch (error) {
    // the operator shows this as the failure's message
    code = recordEnding("StageFailed", { stage, error, env, log, messageWritten: resultWritten });
    failureWritten = true;
    return code;
  } finally {
    await progress.drained();
    await mlflow?.close(code === 0 ? "FINISHED" : "FAILED");
    removeGuard();
  }
}

/** The experiment's own directory on the data volume: experiments sharing a claim do not share checkpoints. */
export function jobWorkDir(dataDir: string, metadata: { name: string; uid?: string | undefined }): string {
  return join(dataDir, "runs", metadata.uid ? `${metadata.name}-${metadata.uid}` : metadata.name);
}

async function loadExperiment(env: TrainerIo["env"], file: string | undefined): Promise<MemeExperiment> {
  if (file) {
    try {
      return await loadOneExperiment(file);
    } catch (err) {
      throw new TrainerUsageError((err as Error).message);
    }
  }
  const text = env.MEMEOPS_EXPERIMENT;
  if (!text?.trim()) throw new TrainerUsageError("no experiment: set MEMEOPS_EXPERIMENT (JSON with metadata and spec) or pass --experiment FILE");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TrainerUsageError(`MEMEOPS_EXPERIMENT: not JSON (${(err as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new TrainerUsageError("MEMEOPS_EXPERIMENT: expected a JSON object with metadata and spec");
  // the operator passes metadata and spec only
  const parsed = parseMemeExperiment({ apiVersion: API_VERSION, kind: KIND, ...raw });
  if (!parsed.ok) throw new TrainerUsageError(`MEMEOPS_EXPERIMENT: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
  return parsed.value;
}

function checkStages(names: string[], experiment: MemeExperiment): Stage[] {
  try {
    return chooseStages(names, stagesFor(experiment.spec));
  } catch (err) {
    throw err instanceof StageListError ? new TrainerUsageError(err.message) : err;
  }
}

interface Tracking {
  tracker: RunTracker;
  /** its exit handlers are installed: they flush the run on a crash or SIGTERM, then exit */
  readonly exitsOnCrash: boolean;
  close(status: TerminalStatus): Promise<void>;
}

function openTracking(experiment: MemeExperiment, env: TrainerIo["env"], log: JsonLogger): Tracking | undefined {
  if (!env.MLFLOW_TRACKING_URI) return undefined;
  const { metadata, spec } = experiment;
  let tracker: RunTracker;
  try {
    tracker = createTrackerFromEnv({
      // the operator passes the name it created the run under
      experimentName: env.MLFLOW_EXPERIMENT_NAME || mlflowExperimentName(metadata, spec),
      runName: metadata.name,
      ...(metadata.uid && { ownerUid: metadata.uid }),
      tags: { "memeops.io/experiment": metadata.name, "memeops.io/mode": spec.mode, "mlflow.source.type": "JOB" },
    }, { env, logger: log.with({ component: "mlflow" }), finishTimeoutMs: 20_000 });
  } catch (err) {
    throw new TrainerUsageError(`MLFLOW_TRACKING_URI: ${(err as Error).message}`);
  }
  const attached = Boolean(env.MLFLOW_RUN_ID);
  let closed = false;
  // attached: the operator sets the final status, so "finish" here (also from SIGTERM or a crash) only flushes
  const finishable = attached
    ? {
        setsStatus: false,
        finish: async (_s: TerminalStatus, o?: { timeoutMs?: number }) => ((closed = true), flushWithin(tracker, o?.timeoutMs ?? 20_000)),
        get finished() {
          return closed;
        },
      }
    : tracker;
  const removeExitHandlers = installExitHandlers(finishable, { logger: log.with({ component: "mlflow" }) });
  let exitsOnCrash = true;
  void tracker.start();
  return {
    tracker,
    get exitsOnCrash() {
      return exitsOnCrash;
    },
    async close(status) {
      const ok = await finishable.finish(status, { timeoutMs: 20_000 });
      removeExitHandlers();
      exitsOnCrash = false;
      const what = attached ? "logged (its final status is the operator's to set)" : status;
      log.info(ok ? `mlflow: run ${tracker.runId} ${what}` : `mlflow: run ${tracker.runId ?? "(never opened)"} not complete: see the warnings above`,
        { component: "mlflow", runId: tracker.runId, ...(tracker.dropped && { dropped: tracker.dropped }) });
      await tracker.backend.close?.();
    },
  };
}

/** Flushes until nothing is left or the time is up (the server may be down for a while). */
async function flushWithin(tracker: RunTracker, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await tracker.flush()) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((r) => setTimeout(r, Math.min(1000, left)));
  }
}
