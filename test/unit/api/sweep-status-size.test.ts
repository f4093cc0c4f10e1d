// The sweep's status is its search memory, so it grows with its trials; etcd refuses an object above 1.5 MiB, and a
// status write that big would stop the sweep. The spec's status budget (api/v1alpha1/sweep-status-budget.ts) bounds
// the largest status a spec could ever write: here the worst status (every field present and at its longest, texts
// escaped where the schema bounds them in characters only) of random accepted specs stays within that bound, and a
// spec whose status could outgrow etcd is refused naming spec.budget.maxTrials.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { z } from "zod";
import { loadExperimentsFromText } from "../../../api/load.ts";
import { PARAMETER_PATHS, pathsOfType } from "../../../api/v1alpha1/parameter-paths.ts";
import { storedJsonBytes } from "../../../api/v1alpha1/stored-json.ts";
import { MAX_PARAMETERS, MAX_TRIALS, memeSweepSpec, type MemeSweepSpec, type SweepParameterSpec } from "../../../api/v1alpha1/sweep-spec.ts";
import { countKey, memeSweepStatus, TRIAL_PHASES } from "../../../api/v1alpha1/sweep-status.ts";
import { ETCD_OBJECT_LIMIT, statusBound, SWEEP_OBJECT_BUDGET } from "../../../api/v1alpha1/sweep-status-budget.ts";

// the longest real parameter paths: the worst keys a trial's parameters can have
const longestPaths = [...PARAMETER_PATHS.keys()].sort((a, b) => b.length - a.length).slice(0, MAX_PARAMETERS);
const template = { spec: { dataset: { source: { synthetic: {} } }, features: { extractor: "pixels", regions: 16 } } };
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

function statusBytes(trials: number, value: (i: number) => string | number): number {
  const parameters = Object.fromEntries(longestPaths.map((p, i) => [p, value(i)]));
  const trial = (i: number) => ({
    name: `${"s".repeat(57)}-t${String(i + 1).padStart(4, "0")}`,
    index: i,
    parameters,
    phase: "Pruned",
    value: 0.123456789,
    epoch: 12,
    reason: "median",
    message: "m".repeat(256),
    judgedEpoch: 12,
    reruns: 3,
    evictedUid: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
  });
  const status = memeSweepStatus.parse({ trialsCreated: trials, trials: Array.from({ length: trials }, (_, i) => trial(i)) });
  return Buffer.byteLength(JSON.stringify(status));
}

// ---------------------------------------------------------------- the worst status a spec allows
const BIG = Number.MAX_SAFE_INTEGER;
const LONG_NUMBER = -0.0000012345678901234567;
/** a string bounded in characters only, at 6 stored bytes a character */
const escaped = (n: number, head = "") => head + "\u0001".repeat(n - head.length);
/** a text() string, bounded in bytes: all of them */
const full = (n: number) => "x".repeat(n);
const byLength = <T>(xs: T[]) => xs.reduce((a, x) => (storedJsonBytes(x) > storedJsonBytes(a) ? x : a));

function longestValue(p: SweepParameterSpec): string | number | boolean {
  if (p.categorical) return byLength(p.categorical.values);
  if (p.int) return byLength([p.int.min, p.int.max]);
  const { min, max } = (p.uniform ?? p.logUniform)!;
  return byLength([min, max, ...[0.1234567, 1 / 3, 0.7777777].map((f) => min + f * (max - min)).filter((x) => x >= min && x <= max)]);
}

function worstStatus(spec: MemeSweepSpec, trials: number) {
  const parameters = Object.fromEntries(spec.parameters.map((p) => [p.path, longestValue(p)]));
  const condition = (i: number) => ({ type: escaped(316, `${i}`), status: "Unknown", reason: "A".repeat(128), message: full(4096), lastTransitionTime: escaped(64), observedGeneration: BIG });
  const trial = { name: full(63), index: MAX_TRIALS - 1, parameters, phase: "MetricsMissing", value: LONG_NUMBER, epoch: BIG, reason: full(128), message: full(256), judgedEpoch: BIG, reruns: BIG, evictedUid: full(64) };
  return {
    phase: "Suspended",
    observedGeneration: BIG,
    conditions: Array.from({ length: 8 }, (_, i) => condition(i)),
    trialsCreated: BIG,
    running: BIG,
    counts: Object.fromEntries(TRIAL_PHASES.map((p) => [countKey(p), BIG])),
    bestTrial: { name: escaped(63), parameters, value: LONG_NUMBER, epoch: BIG, mlflowRunUrl: escaped(2048) },
    trials: Array.from({ length: trials }, () => trial),
    mlflow: { runId: escaped(64), url: escaped(2048), closed: false },
    startTime: escaped(64),
    completionTime: escaped(64),
  };
}

/** Every field the schema has is set (records aside), so a field added to the status cannot escape the check. */
function missingFields(node: Record<string, any>, value: unknown, path = ""): string[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (node.type === "array") return (value as unknown[]).flatMap((v) => missingFields(node.items, v, `${path}[]`)).slice(0, 5);
  if (node.type !== "object" || !node.properties) return [];
  return Object.entries(node.properties as Record<string, object>).flatMap(([k, child]) => {
    const v = (value as Record<string, unknown>)[k];
    return v === undefined ? [`${path}.${k}`] : missingFields(child, v, `${path}.${k}`);
  });
}

// ---------------------------------------------------------------- random specs, many near the budget
const nasty = fc.string({ unit: fc.constantFrom("a", "<", "\u0001", '"', "é", "😀", "\u2028"), maxLength: 253, size: "max" });
const value = fc.oneof(fc.string({ unit: "binary", maxLength: 253, size: "max" }), nasty, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean());
const range = (x: fc.Arbitrary<number>) => fc.tuple(x, x).map(([a, b]) => ({ min: Math.min(a, b), max: Math.max(a, b) }));
const NUMBER_PATHS = new Set(pathsOfType("number"));
const NUMERIC_PATHS = new Set(pathsOfType("number", "integer"));

const domainFor = (path: string) =>
  fc.oneof(
    fc.record({ categorical: fc.record({ values: fc.array(value, { minLength: 1, maxLength: 4 }) }) }),
    ...(NUMBER_PATHS.has(path)
      ? [fc.record({ uniform: range(fc.double({ noNaN: true, noDefaultInfinity: true })) }), fc.record({ logUniform: range(fc.double({ min: 1e-300, max: 1e300, noNaN: true })) })]
      : []),
    ...(NUMERIC_PATHS.has(path) ? [fc.record({ int: range(fc.integer({ min: -(2 ** 40), max: 2 ** 40 })) })] : []),
  ).map((d) => ({ path, ...d }));

const sweepSpecs = fc
  .tuple(fc.shuffledSubarray([...PARAMETER_PATHS.keys()], { minLength: 1, maxLength: MAX_PARAMETERS }), fc.integer({ min: 1, max: MAX_TRIALS }))
  .chain(([paths, maxTrials]) => fc.tuple(...paths.map(domainFor)).map((parameters) => ({ trialTemplate: template, parameters, algorithm: { random: { seed: 1 } }, budget: { maxTrials } })));

describe("a sweep's status stays below etcd's object limit", () => {
  test("200 trials of 20 parameters (the longest paths, numbers and 40-character strings), every text field full: under a third of it", () => {
    expect(longestPaths).toHaveLength(20);
    const bytes = statusBytes(200, (i) => (i % 2 ? 0.000123456789 : "x".repeat(40)));
    console.log(`[sweep status] 200 trials x 20 parameters: ${kib(bytes)} of ${kib(ETCD_OBJECT_LIMIT)}`);
    expect(bytes).toBeLessThan(ETCD_OBJECT_LIMIT / 3);
  });

  test("the budget's bound holds for the worst status of random accepted specs; specs over the budget are refused", () => {
    let accepted = 0;
    let refused = 0;
    let tightest = 0;
    fc.assert(
      fc.property(sweepSpecs, (input) => {
        const parsed = memeSweepSpec.safeParse(input);
        if (!parsed.success) {
          if (parsed.error.issues.some((i) => i.path.join(".") === "budget.maxTrials")) refused++;
          return;
        }
        accepted++;
        const spec = parsed.data;
        const worst = worstStatus(spec, spec.budget.maxTrials);
        expect(missingFields(z.toJSONSchema(memeSweepStatus, { io: "input" }) as object, worst)).toEqual([]);
        const status = memeSweepStatus.parse(worst);
        const bytes = storedJsonBytes(spec) + storedJsonBytes(status);
        const bound = statusBound(spec).total(spec.budget.maxTrials);
        expect(Buffer.byteLength(JSON.stringify(spec)) + Buffer.byteLength(JSON.stringify(status))).toBeLessThanOrEqual(bytes);
        expect(bytes).toBeLessThanOrEqual(bound);
        expect(bound).toBeLessThanOrEqual(SWEEP_OBJECT_BUDGET);
        tightest = Math.max(tightest, bytes / bound);
      }),
      { numRuns: 150, seed: 20261207 },
    );
    console.log(`[sweep status] random specs: ${accepted} accepted, ${refused} refused over the budget; worst status up to ${(tightest * 100).toFixed(1)}% of its bound`);
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
    // the bound is an upper bound, not a wild one: some worst status comes close to it
    expect(tightest).toBeGreaterThan(0.9);
  });

  test("500 trials of 20 parameters whose values are 253-character strings are refused naming spec.budget.maxTrials; the largest accepted maxTrials stays below etcd's limit", () => {
    const spec = (maxTrials: number) => ({ trialTemplate: template, parameters: longestPaths.map((path) => ({ path, categorical: { values: ["v".repeat(253), "w"] } })), algorithm: { random: {} }, budget: { maxTrials } });
    const refused = memeSweepSpec.safeParse(spec(500));
    expect(refused.success).toBe(false);
    const issue = refused.error!.issues.find((i) => i.path.join(".") === "budget.maxTrials");
    const largest = statusBound(memeSweepSpec.parse(spec(1))).largestMaxTrials;
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThan(500);
    expect(issue?.message).toContain(`spec.budget.maxTrials up to ${largest}`);
    expect(issue?.message).toMatch(/the largest parameter, spec\.parameters\[\d+\] [a-zA-Z.]+, \d+\)/);
    // memeops validate (and the operator) report it on the field
    const doc = { apiVersion: "memeops.io/v1alpha1", kind: "MemeSweep", metadata: { name: "big" }, spec: spec(500) };
    expect(loadExperimentsFromText(JSON.stringify(doc), "big.yaml")[0]!.problems.map((p) => p.path)).toContain("spec.budget.maxTrials");

    expect(memeSweepSpec.safeParse(spec(largest + 1)).success).toBe(false);
    const accepted = memeSweepSpec.parse(spec(largest));
    const bytes = storedJsonBytes(accepted) + storedJsonBytes(memeSweepStatus.parse(worstStatus(accepted, largest)));
    console.log(`[sweep status] 20 x 253-character values: 500 trials refused; the largest accepted, ${largest} trials, writes at most ${kib(bytes)} with its spec (bound ${kib(statusBound(accepted).total(largest))}, etcd ${kib(ETCD_OBJECT_LIMIT)})`);
    expect(bytes).toBeLessThanOrEqual(SWEEP_OBJECT_BUDGET);
    expect(bytes).toBeLessThan(ETCD_OBJECT_LIMIT);
  });
});
