// The search module's vocabulary, shared by the algorithms, the pruning rules, the operator's sweep reconciler and
// `memeops sweep run`. Plain types only: search/ imports nothing outside itself.
export type ParamValue = string | number | boolean;

export type Domain =
  | { kind: "categorical"; values: ParamValue[] }
  | { kind: "uniform"; min: number; max: number }
  | { kind: "logUniform"; min: number; max: number }
  /** step >= 1; the values are min, min+step, ... <= max */
  | { kind: "int"; min: number; max: number; step: number };

/** One searched field of the trial spec, by dotted path (e.g. "training.learningRate"). */
export interface SearchParameter {
  path: string;
  domain: Domain;
}

export type Direction = "maximize" | "minimize";

/** A trial's parameters, keyed by path. */
export type Params = Record<string, ParamValue>;

/** A finished trial as the algorithms see it. value null: failed, infeasible or without metrics, counted as the worst. */
export interface Observation {
  index: number;
  params: Params;
  value: number | null;
}

export interface SearchAlgorithm {
  /**
   * Parameters for trial `index` (0-based). A pure function of (algorithm config incl. seed, space, direction, index,
   * observations): same arguments, same result, in any process. null = the space is exhausted (grid).
   */
  suggest(index: number, observations: readonly Observation[]): Params | null;
  /** grid: number of points; others: undefined. */
  readonly size?: number;
}

export type AlgorithmConfig =
  /** continuous domains get this many points (log-spaced for logUniform); int and categorical domains all their values */
  | { name: "grid"; pointsPerDimension: number }
  | { name: "random"; seed: number }
  | { name: "tpe"; seed: number; startupTrials: number; candidates: number; gamma: number };

/** A trial's recorded objective per epoch: values[e] is after epoch e+1; null = not recorded (e.g. no AUROC). */
export interface Curve {
  trial: string;
  values: (number | null)[];
}

export type PrunerConfig =
  | { name: "median"; warmupEpochs: number; minTrials: number }
  | { name: "asha"; minEpochs: number; reductionFactor: number; maxEpochs: number };

export interface PruneDecision {
  prune: boolean;
  rule: "median" | "asha";
  /** the 1-based epoch the decision is about */
  epoch: number;
  value: number | null;
  threshold: number | null;
  /** how many other trials' values entered the rule */
  compared: number;
  /** human text with the numbers; goes into status */
  message: string;
}
