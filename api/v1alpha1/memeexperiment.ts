// The whole MemeExperiment resource: identity, metadata, spec and status, and its TypeScript types.
import type { z } from "zod";
import { API_VERSION, KIND } from "./groupversion.ts";
import type { CrossFieldRule } from "./rules.ts";
import { objectMeta, resource, withRules } from "./schema-helpers.ts";
import { memeExperimentSpec, type MemeExperimentSpec, type MemeExperimentSpecInput } from "./spec.ts";
import { memeExperimentStatus, type MemeExperimentStatus } from "./status.ts";

/**
 * Rules that need the object's name, so they sit at the root of the CRD (the only place CEL can read
 * `metadata.name`). An experiment that starts from its own checkpoint would wait for itself forever.
 */
export const rootRules: CrossFieldRule<{ metadata: { name: string }; spec: MemeExperimentSpec }>[] = [
  {
    cel:
      "!has(self.spec.model) || !has(self.spec.model.initialWeights) || !has(self.spec.model.initialWeights.fromExperiment) || " +
      "self.spec.model.initialWeights.fromExperiment != self.metadata.name",
    holds: (self) => self.spec.model.initialWeights?.fromExperiment !== self.metadata.name,
    message: "names this MemeExperiment itself: an experiment cannot start from its own checkpoint",
    field: ".spec.model.initialWeights.fromExperiment",
  },
];

export const memeExperiment = withRules(resource(API_VERSION, KIND, objectMeta(63, "it names Jobs and labels"), memeExperimentSpec, memeExperimentStatus), rootRules);

export type MemeExperiment = z.output<typeof memeExperiment>;
export type MemeExperimentInput = z.input<typeof memeExperiment>;
export type { MemeExperimentSpec, MemeExperimentSpecInput, MemeExperimentStatus };
