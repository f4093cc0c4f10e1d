// Tree-structured Parzen Estimator: Bergstra, Bardenet, Bengio, Kegl, "Algorithms for Hyper-Parameter Optimization",
// NeurIPS 2011, section 4, with the choices of Optuna's TPESampler in its default (univariate) form:
//  - the first `startupTrials` trials (counted in observations) are random search's draws;
//  - observations are ranked by loss (a null value, a failed trial, ranks last) and the best ceil(gamma * n) with a
//    value form the "good" set, the rest the "bad" set;
//  - per parameter, independently: a Parzen estimator l(x) over the good values and g(x) over the bad ones
//    (search/parzen.ts), in log space for logUniform, int domains as continuous over [min - step/2, max + step/2]
//    with the probability of each value's bin, categorical values as smoothed counts;
//  - `candidates` draws from l(x); the one with the largest l(x)/g(x) (expected improvement's maximiser) is taken.
// Every draw of trial i comes from a stream seeded by (seed, i, parameter): suggest() is a pure function.
import { categoricalParzen, numericParzen } from "../parzen.ts";
import { mixSeed, mulberry32 } from "../rng.ts";
import { clamp, intCount, lossOf } from "../space.ts";
import type { AlgorithmConfig, Direction, Domain, Observation, ParamValue, Params, SearchAlgorithm, SearchParameter } from "../types.ts";
import { randomParams } from "./random.ts";

type TpeConfig = Extract<AlgorithmConfig, { name: "tpe" }>;

export function createTpe(config: TpeConfig, space: readonly SearchParameter[], direction: Direction): SearchAlgorithm {
  const { seed, startupTrials, candidates, gamma } = config;
  if (!Number.isInteger(startupTrials) || startupTrials < 0) throw new RangeError(`tpe: startupTrials ${startupTrials} must be an integer >= 0`);
  if (!Number.isInteger(candidates) || candidates < 1) throw new RangeError(`tpe: candidates ${candidates} must be an integer >= 1`);
  if (!(gamma > 0 && gamma < 1)) throw new RangeError(`tpe: gamma ${gamma} must be between 0 and 1 (exclusive)`);
  return {
    suggest(index, observations) {
      const ranked = [...observations].sort((a, b) => lossOf(direction, a.value) - lossOf(direction, b.value) || a.index - b.index);
      const withValue = ranked.filter((o) => Number.isFinite(lossOf(direction, o.value))).length;
      if (observations.length < startupTrials || withValue === 0) return randomParams(space, seed, index);
      const nGood = Math.min(withValue, Math.max(1, Math.ceil(gamma * ranked.length)));
      // each set in the order the trials were made: the estimators weigh older observations down past 25
      const byIndex = (os: Observation[]) => os.sort((a, b) => a.index - b.index);
      const good = byIndex(ranked.slice(0, nGood));
      const bad = byIndex(ranked.slice(nGood));
      return Object.fromEntries(space.map((p, d) => [p.path, suggestOne(p, good, bad, candidates, mulberry32(mixSeed(seed, index, d, 1)))]));
    },
  };
}

function suggestOne(p: SearchParameter, good: Observation[], bad: Observation[], candidates: number, rand: () => number): ParamValue {
  const d = p.domain;
  if (d.kind === "categorical") {
    const choicesOf = (os: Observation[]) => os.map((o) => d.values.indexOf(o.params[p.path]!)).filter((c) => c >= 0);
    const l = categoricalParzen(choicesOf(good), d.values.length);
    const g = categoricalParzen(choicesOf(bad), d.values.length);
    return d.values[best(candidates, () => l.sample(rand), (c) => l.logProbability(c) - g.logProbability(c))]!;
  }
  const axis = numericAxis(d);
  if (axis.lo === axis.hi) return axis.toValue(axis.lo);
  const xsOf = (os: Observation[]) => os.map((o) => o.params[p.path]).filter((v): v is number => typeof v === "number" && Number.isFinite(v)).map(axis.toX);
  const l = numericParzen(xsOf(good), axis.lo, axis.hi);
  const g = numericParzen(xsOf(bad), axis.lo, axis.hi);
  const x = best(candidates, () => axis.snap(l.sample(rand)), (x) => l.logDensity(x, axis.bin) - g.logDensity(x, axis.bin));
  return axis.toValue(x);
}

/** The first of n draws with the highest score. */
function best<T>(n: number, draw: () => T, score: (x: T) => number): T {
  let top = draw();
  let topScore = score(top);
  for (let i = 1; i < n; i++) {
    const x = draw();
    const s = score(x);
    if (s > topScore) [top, topScore] = [x, s];
  }
  return top;
}

/** Where a numeric domain's estimators live: [lo, hi] on the x axis, and the way between x and the domain's values. */
function numericAxis(d: Exclude<Domain, { kind: "categorical" }>) {
  switch (d.kind) {
    case "uniform":
      return { lo: d.min, hi: d.max, bin: undefined, toX: (v: number) => v, snap: (x: number) => x, toValue: (x: number) => clamp(x, d.min, d.max) };
    case "logUniform":
      return { lo: Math.log(d.min), hi: Math.log(d.max), bin: undefined, toX: Math.log, snap: (x: number) => x, toValue: (x: number) => clamp(Math.exp(x), d.min, d.max) };
    case "int": {
      // the x of a value is the value; x is snapped to the value grid before l/g are compared, so each bin is one value
      const last = d.min + (intCount(d) - 1) * d.step;
      const snap = (x: number) => clamp(d.min + d.step * Math.round((x - d.min) / d.step), d.min, last);
      return last === d.min
        ? { lo: d.min, hi: d.min, bin: d.step, toX: (v: number) => v, snap, toValue: snap }
        : { lo: d.min - d.step / 2, hi: last + d.step / 2, bin: d.step, toX: (v: number) => v, snap, toValue: snap };
    }
  }
}
