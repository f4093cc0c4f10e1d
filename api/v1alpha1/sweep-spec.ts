// The MemeSweep spec: a hyperparameter search over MemeExperiments. Like spec.ts, the single source of truth for the
// CLI, the operator and the CRD. Only budget and suspend may change after creation (CEL transition rules).
import { z } from "zod";
import { pathsOfType, PARAMETER_PATHS } from "./parameter-paths.ts";
import { exactlyOneOf, type CrossFieldRule, type TransitionRule } from "./rules.ts";
import { immutableAs, scalar, str, withRules } from "./schema-helpers.ts";
import { EARLY_STOPPING_METRICS, memeExperimentSpec } from "./spec.ts";
import { MAX_PARAMETERS, MAX_TRIALS } from "./sweep-limits.ts";
import { statusBudgetProblem } from "./sweep-status-budget.ts";

export { MAX_PARAMETERS, MAX_TRIALS } from "./sweep-limits.ts";
export const OBJECTIVE_METRICS = EARLY_STOPPING_METRICS;
export const DIRECTIONS = ["maximize", "minimize"] as const;
export const DOMAINS = ["categorical", "uniform", "logUniform", "int"] as const;
export const ALGORITHMS = ["grid", "random", "tpe"] as const;
export const PRUNERS = ["median", "asha"] as const;

const celList = (items: readonly string[]) => `[${items.map((i) => `'${i}'`).join(", ")}]`;
const NUMBER_PATHS = pathsOfType("number");
const NUMERIC_PATHS = pathsOfType("number", "integer");

// ---------------------------------------------------------------- parameters
const minBelowMax: CrossFieldRule<{ min: number; max: number }> = {
  cel: "self.min < self.max",
  holds: (s) => s.min < s.max,
  message: "min must be below max",
  field: ".min",
};

const uniform = withRules(z.strictObject({ min: z.number(), max: z.number() }), [minBelowMax]);
const logUniform = withRules(
  z.strictObject({ min: z.number().gt(0).describe("> 0: values are drawn uniformly in log space"), max: z.number() }),
  [minBelowMax],
);
const intDomain = withRules(
  z.strictObject({
    min: z.int(),
    max: z.int(),
    step: z.int().min(1).default(1).describe("values min, min+step, ... up to max"),
  }),
  [minBelowMax],
);
const categorical = z.strictObject({
  values: z.array(scalar()).min(1).max(100).describe("the values tried, each a string, number or boolean"),
});

/** A parameter's path must name a scalar field of the MemeExperiment spec, of a type its domain can fill. */
const parameterRules: CrossFieldRule[] = [
  exactlyOneOf([...DOMAINS], "parameter"),
  {
    cel: `self.path in ${celList([...PARAMETER_PATHS.keys()])}`,
    holds: (s: { path: string }) => PARAMETER_PATHS.has(s.path),
    message: "path must name a string, number or boolean field of the MemeExperiment spec, e.g. training.learningRate",
    field: ".path",
  },
  {
    cel: `!(has(self.uniform) || has(self.logUniform)) || self.path in ${celList(NUMBER_PATHS)}`,
    holds: (s: { path: string; uniform?: unknown; logUniform?: unknown }) =>
      (s.uniform === undefined && s.logUniform === undefined) || NUMBER_PATHS.includes(s.path),
    message: "a uniform or logUniform domain needs a number field (an integer field takes an int domain)",
    field: ".path",
  },
  {
    cel: `!has(self.int) || self.path in ${celList(NUMERIC_PATHS)}`,
    holds: (s: { path: string; int?: unknown }) => s.int === undefined || NUMERIC_PATHS.includes(s.path),
    message: "an int domain needs a number or integer field",
    field: ".path",
  },
];

export const sweepParameter = withRules(
  z.strictObject({
    path: str(200).describe("the MemeExperiment spec field this parameter sets, dotted (training.learningRate, features.extractor)"),
    categorical: categorical.optional().describe("one of the listed values"),
    uniform: uniform.optional().describe("a number drawn uniformly in [min, max]"),
    logUniform: logUniform.optional().describe("a number drawn uniformly in log space in [min, max]"),
    int: intDomain.optional().describe("an integer in [min, max] on the step's grid"),
  }),
  parameterRules,
);

const uniquePaths: CrossFieldRule<{ path: string }[]> = {
  cel: "self.all(p, self.exists_one(q, q.path == p.path))",
  holds: (s) => new Set(s.map((p) => p.path)).size === s.length,
  message: "each path may appear in one parameter only",
};

// ---------------------------------------------------------------- objective, algorithm, budget, early stopping
const objective = z.strictObject({
  metric: z.enum(OBJECTIVE_METRICS).default("val_auroc").describe("a metric the trainer records per epoch in the trial's status"),
  direction: z.enum(DIRECTIONS).optional().describe("default: minimize for val_loss, maximize for the others"),
  goal: z.number().optional().describe("the sweep ends (GoalReached) once a trial's best value reaches it"),
});

const seed = () => z.int().min(0).max(2 ** 31 - 1).default(0).describe("same seed, same sweep, same trials");

const algorithm = withRules(
  z.strictObject({
    grid: z
      .strictObject({ pointsPerDimension: z.int().min(2).max(100).default(3).describe("points tried on a uniform or logUniform axis (log-spaced for logUniform)") })
      .optional()
      .describe("every combination, each once"),
    random: z.strictObject({ seed: seed() }).optional().describe("independent draws"),
    tpe: z
      .strictObject({
        seed: seed(),
        startupTrials: z.int().min(1).max(100).default(5).describe("random trials before the model takes over"),
        candidates: z.int().min(1).max(1000).default(24).describe("candidates scored per suggestion"),
        gamma: z.number().gt(0).lt(1).default(0.25).describe("fraction of trials counted as good"),
      })
      .optional()
      .describe("tree-structured Parzen estimator: samples where good trials were dense"),
  }),
  [exactlyOneOf([...ALGORITHMS], "algorithm")],
);

/** A Go duration (`90m`, `6h`, `1h30m`), as kubectl and Kubernetes spell them. */
const duration = () => z.string().max(64).regex(/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/, "must be a duration such as 90m, 6h or 1h30m");

const budget = z.strictObject({
  maxTrials: z.int().min(1).max(MAX_TRIALS).default(10).describe("trials created at most (may be raised, not below the trials already created, nor above what keeps the status the trials fill within the sweep's size budget)"),
  parallelism: z.int().min(1).max(100).default(1).describe("trials pending, queued or running at once"),
  maxFailedTrials: z.int().min(0).max(MAX_TRIALS).default(3).describe("the sweep fails once more trials than this have Failed"),
  maxDuration: duration().optional().describe("the sweep ends (and stops its trials) this long after it started"),
});

const earlyStopping = withRules(
  z.strictObject({
    median: z
      .strictObject({
        warmupEpochs: z.int().min(0).max(10_000).default(2).describe("no trial is pruned at or before this epoch"),
        minTrials: z.int().min(1).max(MAX_TRIALS).default(3).describe("other trials that must have reached the epoch"),
      })
      .optional()
      .describe("prune a trial whose value at an epoch is worse than the median of the other trials' values at that epoch"),
    asha: z
      .strictObject({
        minEpochs: z.int().min(1).max(10_000).default(1).describe("the first rung"),
        reductionFactor: z.int().min(2).max(100).default(3).describe("1/factor of the trials at a rung go on to the next"),
      })
      .optional()
      .describe("asynchronous successive halving; rungs at minEpochs * factor^k up to the template's training.epochs"),
  }),
  [
    {
      cel: "(has(self.median) ? 1 : 0) + (has(self.asha) ? 1 : 0) <= 1",
      holds: (s: { median?: unknown; asha?: unknown }) => s.median === undefined || s.asha === undefined,
      message: "set at most one of earlyStopping.median, earlyStopping.asha",
    },
  ],
);

const trialTemplate = z.strictObject({
  metadata: z
    .strictObject({
      labels: z.record(z.string().max(316), z.string().max(63)).optional(),
      annotations: z.record(z.string().max(316), z.string().max(4096)).optional(),
    })
    .optional()
    .describe("copied onto every trial"),
  spec: memeExperimentSpec.describe("the MemeExperiment spec each trial starts from; the parameters are set on it by path"),
});

/** Added or removed early stopping would change how finished trials were judged: only budget and suspend change. */
const specTransitions: TransitionRule[] = [
  { cel: "has(self.earlyStopping) == has(oldSelf.earlyStopping)", message: "spec.earlyStopping is immutable: create a new MemeSweep to change it" },
];

export const memeSweepSpec = withRules(
  z.strictObject({
    trialTemplate: immutableAs(trialTemplate.describe("what every trial is"), "spec.trialTemplate", "MemeSweep"),
    parameters: immutableAs(
      withRules(z.array(sweepParameter).min(1).max(MAX_PARAMETERS), [uniquePaths]).describe("the search space: 1-20 fields of the trial spec and their domains"),
      "spec.parameters",
      "MemeSweep",
    ),
    objective: immutableAs(objective.describe("what the search optimises"), "spec.objective", "MemeSweep").prefault({}),
    algorithm: immutableAs(algorithm.describe("exactly one of grid, random, tpe"), "spec.algorithm", "MemeSweep"),
    budget: budget.describe("how many trials, how many at once, how many failures, how long; may change").prefault({}),
    earlyStopping: immutableAs(earlyStopping.describe("prune trials whose curves fall behind (at most one rule)"), "spec.earlyStopping", "MemeSweep").optional(),
    suspend: z.boolean().default(false).describe("create no trial and suspend the running ones until set to false"),
  }).superRefine((spec, ctx) => {
    // Runtime only: the CRD cannot weigh categorical values (untyped there) nor a number's JSON (see the budget).
    const problem = statusBudgetProblem(spec);
    if (problem) ctx.addIssue({ code: "custom", message: problem, path: ["budget", "maxTrials"] });
  }),
  [],
  specTransitions,
);

export type MemeSweepSpecInput = z.input<typeof memeSweepSpec>;
export type MemeSweepSpec = z.output<typeof memeSweepSpec>;
export type SweepParameterSpec = MemeSweepSpec["parameters"][number];
export type ObjectiveSpec = MemeSweepSpec["objective"];
export type AlgorithmSpec = MemeSweepSpec["algorithm"];
export type EarlyStoppingSpec = NonNullable<MemeSweepSpec["earlyStopping"]>;

/** The objective's direction: as given, else minimize for a loss and maximize for the rest. */
export const objectiveDirection = (o: ObjectiveSpec): (typeof DIRECTIONS)[number] => o.direction ?? (o.metric === "val_loss" ? "minimize" : "maximize");
