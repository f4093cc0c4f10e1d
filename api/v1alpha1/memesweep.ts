// The whole MemeSweep resource: identity, metadata, spec and status, and its TypeScript types.
import type { z } from "zod";
import { API_VERSION, SWEEP } from "./groupversion.ts";
import type { CrossFieldRule } from "./rules.ts";
import { objectMeta, resource, withRules } from "./schema-helpers.ts";
import { memeSweepSpec, type MemeSweepSpec, type MemeSweepSpecInput } from "./sweep-spec.ts";
import { memeSweepStatus, type MemeSweepStatus } from "./sweep-status.ts";

/** Trials are named `<sweep>-t0001`: the sweep's name leaves room for the suffix within 63 characters. */
export const MAX_SWEEP_NAME = 57;

/** Rules that read the status beside the spec, so they sit at the root: maxTrials may not drop below what exists. */
export const sweepRootRules: CrossFieldRule<{ spec: MemeSweepSpec; status?: MemeSweepStatus }>[] = [
  {
    cel: "!has(self.status) || !has(self.status.trialsCreated) || self.spec.budget.maxTrials >= self.status.trialsCreated",
    holds: (self) => (self.status?.trialsCreated ?? 0) <= self.spec.budget.maxTrials,
    message: "spec.budget.maxTrials cannot go below the trials already created (status.trialsCreated)",
    field: ".spec.budget.maxTrials",
  },
];

export const memeSweep = withRules(resource(API_VERSION, SWEEP.kind, objectMeta(MAX_SWEEP_NAME, "its trials are named NAME-t0001"), memeSweepSpec, memeSweepStatus), sweepRootRules);

export type MemeSweep = z.output<typeof memeSweep>;
export type MemeSweepInput = z.input<typeof memeSweep>;
export type { MemeSweepSpec, MemeSweepSpecInput, MemeSweepStatus };
