// The one stage driver behind `memeops run` (on this machine) and `memeops trainer` (in a Job): prepare, then the
// later stages in this process (runLocal). The two commands differ only in what they print and where results go.
import type { MemeExperiment } from "../../../api/v1alpha1/memeexperiment.ts";
import type { Stage } from "../../../api/contract/stages.ts";
import { prepare, type PrepareReport } from "./prepare.ts";
import { runLocal, type RunLocalOptions } from "./run-local.ts";
import type { RunResults } from "./results.ts";
import type { Log } from "../data/log.ts";

export interface StageDriverOptions extends Omit<RunLocalOptions, "stages"> {
  /** checked with chooseStages (stage-list.ts) */
  stages: Stage[];
  /** downloads, generated data and caches shared between experiments */
  storageDir: string;
  /** prepare's progress lines */
  prepareLog: Log;
  /** what prepare made or reused */
  onPrepared?: (report: PrepareReport) => void;
}

/** Runs the stages in order; the later stages' results, or undefined when only prepare ran. */
export async function runStages(experiment: MemeExperiment, o: StageDriverOptions): Promise<RunResults | undefined> {
  const { stages, storageDir, prepareLog, onPrepared, ...later } = o;
  if (stages.includes("prepare")) {
    o.onStage?.("prepare");
    onPrepared?.(await prepare(experiment.spec, { workDir: o.workDir, storageDir, log: prepareLog }));
  }
  const after = stages.filter((s) => s !== "prepare");
  return after.length ? runLocal(experiment, { ...later, stages: after }) : undefined;
}

/** 1 when an enforced check failed (spec.checks.enforce), else 0. */
export const exitCodeOf = (results: RunResults | undefined) => (results && !results.run.succeeded ? 1 : 0);
