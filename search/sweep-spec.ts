// The MemeSweep spec's search blocks (api/v1alpha1's parameters, algorithm and earlyStopping, "exactly one of" keyed
// objects) as this module's configs. Typed by shape, not imported: search/ imports nothing, and the operator and
// `memeops sweep run` both convert through here.
import type { AlgorithmConfig, Domain, ParamValue, PrunerConfig, SearchParameter } from "./types.ts";

export interface ParameterSpec {
  path: string;
  categorical?: { values: ParamValue[] };
  uniform?: { min: number; max: number };
  logUniform?: { min: number; max: number };
  int?: { min: number; max: number; step?: number };
}

export interface AlgorithmSpec {
  grid?: { pointsPerDimension: number };
  random?: { seed: number };
  tpe?: { seed: number; startupTrials: number; candidates: number; gamma: number };
}

export interface EarlyStoppingSpec {
  median?: { warmupEpochs: number; minTrials: number };
  asha?: { minEpochs: number; reductionFactor: number };
}

/** The one key of an exactly-one-of object that is set. */
function onlyKey<T extends object>(o: T, what: string): keyof T {
  const set = (Object.keys(o) as (keyof T)[]).filter((k) => o[k] !== undefined && k !== "path");
  if (set.length !== 1) throw new RangeError(`${what}: set exactly one of its kinds (found ${set.length ? set.join(", ") : "none"})`);
  return set[0]!;
}

export function searchSpace(parameters: readonly ParameterSpec[]): SearchParameter[] {
  return parameters.map((p, i) => {
    const kind = onlyKey(p, `spec.parameters[${i}] (${p.path})`);
    const domain: Domain = kind === "int"
      ? { kind: "int", min: p.int!.min, max: p.int!.max, step: p.int!.step ?? 1 }
      : kind === "categorical" ? { kind, values: p.categorical!.values } : { kind: kind as "uniform" | "logUniform", ...p[kind as "uniform" | "logUniform"]! };
    return { path: p.path, domain };
  });
}

export function algorithmConfig(spec: AlgorithmSpec): AlgorithmConfig {
  const name = onlyKey(spec, "spec.algorithm");
  return { name, ...spec[name]! } as AlgorithmConfig;
}

/** The early-stopping rule, if any; ASHA's last rung is bounded by the trials' training.epochs. */
export function prunerConfig(spec: EarlyStoppingSpec | undefined, trialEpochs: number): PrunerConfig | undefined {
  if (!spec || (spec.median === undefined && spec.asha === undefined)) return undefined;
  const name = onlyKey(spec, "spec.earlyStopping");
  return name === "median" ? { name, ...spec.median! } : { name: "asha", ...spec.asha!, maxEpochs: trialEpochs };
}
