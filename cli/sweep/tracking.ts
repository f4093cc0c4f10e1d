// The MLflow runs of `memeops sweep run`, kept as the operator keeps a sweep's: a parent run for the sweep (tag
// memeops.io/sweep), each trial's run made ahead as its child (mlflow.parentRunId) and handed to the trial's
// `memeops run` through MLFLOW_RUN_ID, each trial's run closed with its outcome (a pruned or stopped one KILLED with the
// memeops.pruned tags), and at the end the trials table (trials.csv) on the parent, closed with the sweep.
// Best effort: the first MLflow failure costs one warning and the links from then on (trials then track on their own),
// never the sweep.
import type { MemeExperiment } from "../../api/v1alpha1/memeexperiment.ts";
import type { MemeSweep } from "../../api/v1alpha1/memesweep.ts";
import { mlflowExperimentName } from "../../api/contract/mlflow.ts";
import { PARENT_RUN_TAG, SWEEP_LABEL } from "../../api/contract/sweep.ts";
import { createBackend, credentialsFromEnv, type RunRef, type TrackingBackend } from "../../tracking/index.ts";
import type { TerminalStatus } from "../../tracking/names.ts";
import { localRunSpec, resolveTrackingTarget, type TrackingTarget } from "../../trainer-image/src/stages/mlflow-run.ts";

export class SweepRuns {
  private readonly runs = new Map<string, RunRef>();
  private parent: RunRef | undefined;
  private failed = false;

  private constructor(readonly target: TrackingTarget, private readonly backend: TrackingBackend, private readonly warn: (line: string) => void) {}

  /** Where the trials would track to by themselves (--tracking-uri, $MLFLOW_TRACKING_URI, the template's, the default). */
  static create(sweep: MemeSweep, trackingUri: string | undefined, warn: (line: string) => void): SweepRuns {
    const target = resolveTrackingTarget(sweep.spec.trialTemplate.spec, trackingUri);
    // Few quick tries, as the operator's: a slow server must not hold every trial's start for minutes.
    const backend = createBackend({ trackingUri: target.uri, credentials: credentialsFromEnv(process.env), transport: { timeoutMs: 10_000, retry: { tries: 2, maxDelayMs: 1000 } } });
    return new SweepRuns(target, backend, warn);
  }

  get parentRun(): { runId: string; url?: string } | undefined {
    return this.parent && { runId: this.parent.runId, ...(this.parent.url && { url: this.parent.url }) };
  }

  async openParent(sweep: MemeSweep): Promise<void> {
    this.parent = await this.tryTo("create the sweep's run", () =>
      this.backend.openRun({
        experimentName: mlflowExperimentName(sweep.metadata, sweep.spec.trialTemplate.spec),
        runName: sweep.metadata.name,
        tags: { [SWEEP_LABEL]: sweep.metadata.name, "mlflow.source.type": "LOCAL" },
      }),
    );
  }

  /** The trial's run, a child of the sweep's; its id for the trial's MLFLOW_RUN_ID (undefined: it makes its own). */
  async openTrial(experiment: MemeExperiment): Promise<string | undefined> {
    const parent = this.parent;
    if (!parent) return undefined;
    const spec = localRunSpec(experiment);
    const run = await this.tryTo(`create ${experiment.metadata.name}'s run`, () => this.backend.openRun({ ...spec, tags: { ...spec.tags, [PARENT_RUN_TAG]: parent.runId } }));
    if (run) this.runs.set(run.runId, run);
    return run?.runId;
  }

  /** After the trial's process ended: its status (again: a process killed hard sets none) and tags. */
  async closeTrial(runId: string | undefined, status: TerminalStatus, tags: Record<string, string> = {}): Promise<void> {
    const run = runId ? this.runs.get(runId) : undefined;
    if (!run) return;
    await this.tryTo(`close run ${run.runId}`, async () => {
      if (Object.keys(tags).length) await this.backend.logBatch(run, { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) });
      await this.backend.setStatus(run, status, Date.now());
    });
  }

  /** The trials table onto the sweep's run, then its end; and the connection closed. */
  async closeParent(status: TerminalStatus, trialsCsvFile: string): Promise<void> {
    const parent = this.parent;
    if (parent) {
      await this.tryTo("upload trials.csv", () => this.backend.uploadArtifact(parent, "trials.csv", trialsCsvFile));
      await this.tryTo("close the sweep's run", () => this.backend.setStatus(parent, status, Date.now()));
    }
    await this.backend.close?.();
  }

  private async tryTo<T>(what: string, f: () => Promise<T>): Promise<T | undefined> {
    if (this.failed) return undefined;
    try {
      return await f();
    } catch (err) {
      this.failed = true;
      this.warn(`mlflow: could not ${what} in ${this.backend.location}: ${String((err as Error).message ?? err).slice(0, 300)}; the sweep goes on without MLflow links`);
      return undefined;
    }
  }
}
