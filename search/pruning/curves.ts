// What both pruning rules read from recorded curves.
import type { Curve, Direction } from "../types.ts";

/** The curve's value after `epoch` (1-based); null when it was not recorded or the curve has not got there. */
export const valueAt = (c: Curve, epoch: number): number | null => {
  const v = c.values[epoch - 1];
  return v === null || v === undefined || Number.isNaN(v) ? null : v;
};

/** The values other trials recorded after `epoch`: the trials without one there do not count. */
export const othersAt = (others: readonly Curve[], epoch: number): number[] =>
  others.map((c) => valueAt(c, epoch)).filter((v): v is number => v !== null);

/** a is strictly worse than b. */
export const worse = (direction: Direction, a: number, b: number) => (direction === "maximize" ? a < b : a > b);

/** Values best first. */
export const bestFirst = (direction: Direction, xs: readonly number[]) => [...xs].sort((a, b) => (direction === "maximize" ? b - a : a - b));

export const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(4));

export function checkEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 1) throw new RangeError(`epoch ${epoch} must be an integer >= 1`);
}
