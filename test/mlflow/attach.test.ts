// In a Job the operator has already created the run: the trainer's tracker attaches to MLFLOW_RUN_ID, never creates
// a second run, and closes the one it was given.
import { describe, expect, inject, it } from "vitest";
import { createTrackerFromEnv } from "../../tracking/index.ts";
import { OWNER_UID_TAG } from "../../tracking/names.ts";
import { fastClient, recordingLogger, uniq } from "./helpers.ts";

const uri = inject("mlflowUri");

describe("the trainer inside a Job", () => {
  it("logs into the run named by MLFLOW_RUN_ID", async () => {
    const client = fastClient(uri);
    const experimentName = uniq("attach");
    const owner = uniq("uid");
    const experiment = await client.getOrCreateExperiment(experimentName);
    const { run } = await client.getOrCreateRun({ experimentId: experiment.experimentId, ownerUid: owner, runName: "from-operator" });

    const tracker = createTrackerFromEnv(
      { experimentName, runName: "from-operator" },
      { env: { MLFLOW_TRACKING_URI: uri, MLFLOW_RUN_ID: run.info.runId }, logger: recordingLogger() },
    );
    tracker.logEpoch(1, { val_auroc: 0.71 });
    expect(await tracker.finish("FINISHED")).toBe(true);

    expect(tracker.runId).toBe(run.info.runId);
    const after = await client.getRun(run.info.runId);
    expect(after.info.status).toBe("FINISHED");
    expect((await client.getMetricHistory(run.info.runId, "val_auroc")).map((m) => [m.step, m.value])).toEqual([[1, 0.71]]);
    expect(await client.searchRunsByTag(experiment.experimentId, OWNER_UID_TAG, owner)).toHaveLength(1);
  });
});
