// The Parzen estimators TPE builds over one parameter's observed values: a weighted mixture of normals truncated to
// the domain, one per observation plus a wide prior (Bergstra et al. 2011, section 4; Optuna's _ParzenEstimator), and
// its categorical counterpart, observed counts smoothed by a prior spread over the values.
import { normal } from "./rng.ts";

/** The weight of each of n observations in the order they were made: equal below 25, older ones ramped down after (Optuna's default_weights). */
export function observationWeights(n: number): number[] {
  if (n < 25) return Array<number>(n).fill(1);
  const ramp = n - 25;
  return [...Array.from({ length: ramp }, (_, i) => (ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1))), ...Array<number>(25).fill(1)];
}

/** The prior's weight against one observation (Optuna's prior_weight default). */
export const PRIOR_WEIGHT = 1;

export interface NumericParzen {
  /** log density at x; with `bin`, the log probability of [x - bin/2, x + bin/2] (int domains) */
  logDensity(x: number, bin?: number): number;
  sample(rand: () => number): number;
}

/**
 * A mixture of normals truncated to [lo, hi] centred on the observed xs (in observation order), plus the prior
 * N((lo+hi)/2, hi-lo). Each bandwidth is the larger gap to its sorted neighbours (the domain's ends for the outer
 * ones), clipped to [(hi-lo)/min(100, n+1), hi-lo]: Bergstra's adaptive Parzen estimator with Optuna's "magic clip".
 */
export function numericParzen(xs: readonly number[], lo: number, hi: number): NumericParzen {
  const range = hi - lo;
  const weights = [...observationWeights(xs.length), PRIOR_WEIGHT];
  const total = weights.reduce((a, b) => a + b, 0);
  const mus = [...xs, (lo + hi) / 2];
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]! || a - b);
  const minSigma = range / Math.min(100, xs.length + 1);
  const sigmas = mus.map(() => range);
  order.forEach((i, k) => {
    const left = k > 0 ? xs[i]! - xs[order[k - 1]!]! : xs[i]! - lo;
    const right = k < order.length - 1 ? xs[order[k + 1]!]! - xs[i]! : hi - xs[i]!;
    sigmas[i] = Math.min(range, Math.max(minSigma, left, right));
  });
  const mass = mus.map((mu, i) => Math.max(1e-300, phi((hi - mu) / sigmas[i]!) - phi((lo - mu) / sigmas[i]!)));
  return {
    logDensity(x, bin) {
      let p = 0;
      for (let i = 0; i < mus.length; i++) {
        const s = sigmas[i]!;
        const z = (x - mus[i]!) / s;
        const density = bin === undefined
          ? Math.exp(-0.5 * z * z) / (s * Math.sqrt(2 * Math.PI))
          : phi((Math.min(hi, x + bin / 2) - mus[i]!) / s) - phi((Math.max(lo, x - bin / 2) - mus[i]!) / s);
        p += (weights[i]! * density) / mass[i]!;
      }
      return Math.log(Math.max(1e-300, p / total));
    },
    sample(rand) {
      const i = pick(weights, total, rand);
      // rejection from the untruncated normal: sigma <= range keeps the acceptance above ~38% (the prior's)
      for (let tries = 0; tries < 1000; tries++) {
        const x = mus[i]! + sigmas[i]! * normal(rand);
        if (x >= lo && x <= hi) return x;
      }
      return Math.min(hi, Math.max(lo, mus[i]!));
    },
  };
}

export interface CategoricalParzen {
  logProbability(choice: number): number;
  sample(rand: () => number): number;
}

/** P(choice) proportional to its observations' weights plus PRIOR_WEIGHT spread evenly over the k choices. */
export function categoricalParzen(choices: readonly number[], k: number): CategoricalParzen {
  const weights = observationWeights(choices.length);
  const p = Array<number>(k).fill(PRIOR_WEIGHT / k);
  choices.forEach((c, i) => (p[c]! += weights[i]!));
  const total = p.reduce((a, b) => a + b, 0);
  return {
    logProbability: (c) => Math.log(p[c]! / total),
    sample: (rand) => pick(p, total, rand),
  };
}

function pick(weights: readonly number[], total: number, rand: () => number): number {
  let u = rand() * total;
  for (let i = 0; i < weights.length; i++) if ((u -= weights[i]!) < 0) return i;
  return weights.length - 1;
}

/** The standard normal CDF, through erfc (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
export function phi(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
