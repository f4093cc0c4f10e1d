// `memeops trainer STAGE...`: the command a trainer Job runs (operator/builders/job.ts). The work is in
// trainer-image/src/stages/run-in-job.ts; this file only turns arguments into a call and problems into exit codes.
import { runTrainer, TrainerUsageError } from "../../trainer-image/src/stages/run-in-job.ts";
import { writeTerminationMessage } from "../../trainer-image/src/stages/termination.ts";
import { jsonLogger } from "../../api/contract/log.ts";
import { type Command, parseFlags, UsageError, wantsHelp } from "../command.ts";

const help = `Usage: memeops trainer STAGE... [--experiment FILE]

Run stages (prepare, train, evaluate, predict: the experiment's own, in its order) of an experiment inside a
Kubernetes Job; the operator starts it with the environment below. A stage continues from what an earlier Job left in
the data directory, so \`trainer prepare\`, \`trainer train\` and \`trainer evaluate\` in three Jobs give the same
results as \`trainer prepare train evaluate\` in one. A retried train Job resumes from its last checkpoint.

Environment:
  MEMEOPS_EXPERIMENT                JSON {metadata, spec} of the MemeExperiment (or --experiment FILE, a YAML file)
  MEMEOPS_DATA_DIR                  data volume (default spec.dataset.storage.path): downloads and caches, and
                                    runs/NAME-UID/ with prepared/, checkpoints/, predictions.csv, roc and
                                    training-curves pictures (.svg, .png), results.json
  MEMEOPS_REPORT_URL                the operator's report endpoint: progress at each stage start, within and at the
                                    end of each epoch, and the final result (POST /v1/report)
  MEMEOPS_REPORT_TOKEN_FILE         the projected service-account token sent as the bearer credential
  MEMEOPS_REPORT_CA                 the CA (PEM) an https report URL is verified with (operator --report-tls-ca)
  MEMEOPS_TERMINATION_MESSAGE_PATH  the result as JSON (or the error, when there is no result) for the operator
  MLFLOW_TRACKING_URI               log params, per-epoch and test metrics, checks and artifacts to MLflow
  MLFLOW_RUN_ID                     the operator's run: logged into, its final status left to the operator
  MLFLOW_EXPERIMENT_NAME            the MLflow experiment when there is no MLFLOW_RUN_ID

Logs are JSON lines (time, level, msg, fields; info on stdout, warnings and errors on stderr).
Exit 0 on success; 1 when a stage fails, by an error, an uncaught exception or an unhandled rejection, or an
enforced check fails; 143 on SIGTERM; 2 on usage errors (unknown stage, no experiment, an invalid spec: the field is
named). Each failure is one line on stderr and the termination message ("stage train failed: ...", "stage train
stopped: SIGTERM ...", "usage error: ..."), without secrets; a result already written stays the termination message.`;

export const trainerCommand: Command = {
  name: "trainer",
  summary: "the entry point inside a Job's container",
  help,
  async run(args) {
    if (wantsHelp(args)) return (console.log(help), 0);
    const { values, positionals } = parseFlags(args, { experiment: { type: "string" } });
    try {
      return await runTrainer(
        { stages: positionals, ...(values.experiment && { experimentFile: values.experiment }) },
        { env: process.env, stdout: process.stdout, stderr: process.stderr },
      );
    } catch (err) {
      if (err instanceof TrainerUsageError) {
        // the operator shows the termination message as the failure's; without it, the usage text's tail would stand in
        writeTerminationMessage(process.env, `usage error: ${err.message}`, jsonLogger({ out: process.stdout, err: process.stderr }));
        throw new UsageError(err.message);
      }
      throw err;
    }
  },
};
