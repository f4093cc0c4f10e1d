// What a search space's domains mean: their checks, their values on a grid and a uniform draw from each. The
// algorithms meet the domains only here.
import type { Direction, Domain, ParamValue, SearchParameter } from "./types.ts";

/** A search space that cannot be searched; the message names the parameter's path and the field. */
export class SearchSpaceError extends Error {}

/** How many values an int domain has: min, min+step, ... <= max. */
export const intCount = (d: Extract<Domain, { kind: "int" }>) => Math.floor((d.max - d.min) / d.step) + 1;

/** Refuse a space the algorithms cannot search, naming the parameter and the problem. */
export function checkSpace(space: readonly SearchParameter[]): void {
  if (space.length === 0) throw new SearchSpaceError("the search space has no parameters");
  const seen = new Set<string>();
  for (const { path, domain: d } of space) {
    const bad = (what: string) => new SearchSpaceError(`parameter ${path}: ${d.kind}: ${what}`);
    if (seen.has(path)) throw new SearchSpaceError(`parameter ${path}: searched twice`);
    seen.add(path);
    if (d.kind === "categorical") {
      if (d.values.length === 0) throw bad("values is empty");
      if (new Set(d.values).size !== d.values.length) throw bad("values holds a value twice");
      continue;
    }
    if (!Number.isFinite(d.min) || !Number.isFinite(d.max)) throw bad("min and max must be finite numbers");
    if (d.min > d.max) throw bad(`min ${d.min} is above max ${d.max}`);
    if (d.kind === "logUniform" && d.min <= 0) throw bad(`min ${d.min} must be above 0 (the search is in log space)`);
    if (d.kind === "int") {
      if (!Number.isInteger(d.min) || !Number.isInteger(d.max)) throw bad("min and max must be integers");
      if (!Number.isInteger(d.step) || d.step < 1) throw bad(`step ${d.step} must be an integer >= 1`);
    }
  }
}

/** A uniform draw from the domain (log-uniform for logUniform), `rand` giving floats in [0, 1). */
export function drawUniform(d: Domain, rand: () => number): ParamValue {
  switch (d.kind) {
    case "categorical":
      return d.values[Math.floor(rand() * d.values.length)]!;
    case "uniform":
      return d.min + rand() * (d.max - d.min);
    case "logUniform":
      return clamp(Math.exp(Math.log(d.min) + rand() * (Math.log(d.max) - Math.log(d.min))), d.min, d.max);
    case "int":
      return d.min + d.step * Math.floor(rand() * intCount(d));
  }
}

/** The grid's values of one domain: every categorical and int value; n points for a continuous one, ends included. */
export function gridValues(d: Domain, n: number): ParamValue[] {
  switch (d.kind) {
    case "categorical":
      return [...d.values];
    case "int":
      return Array.from({ length: intCount(d) }, (_, i) => d.min + i * d.step);
    case "uniform":
      return distinct(spaced(d.min, d.max, n));
    case "logUniform": {
      const xs = spaced(Math.log(d.min), Math.log(d.max), n).map(Math.exp);
      if (n > 1) [xs[0], xs[n - 1]] = [d.min, d.max]; // the exact ends, not exp(log(end))
      return distinct(xs);
    }
  }
}

/** n evenly spaced points from a to b (the middle one when n is 1). */
function spaced(a: number, b: number, n: number): number[] {
  if (n === 1) return [(a + b) / 2];
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? b : a + ((b - a) * i) / (n - 1)));
}

const distinct = (xs: number[]) => [...new Set(xs)];
export const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** A value as a loss (lower is better); a missing value is the worst of all. */
export const lossOf = (direction: Direction, value: number | null) => (value === null || Number.isNaN(value) ? Infinity : direction === "maximize" ? -value : value);
