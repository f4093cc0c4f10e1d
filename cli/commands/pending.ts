// Subcommands whose help exists before their implementation does. Each moves to its own file when implemented.
import { pending } from "../command.ts";

export const trainerCommand = pending(
  "trainer",
  "the entry point inside a Job's container",
  `Usage: memeops trainer STAGE --experiment FILE

Run one stage (prepare, train, evaluate, predict) of an experiment inside a Kubernetes Job.`,
  "the in-cluster trainer (trainer issues)",
);
