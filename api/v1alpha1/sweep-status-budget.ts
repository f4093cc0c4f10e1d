// The largest status a MemeSweep could ever write, from its spec: the sweep's status is its search memory, growing by
// one entry per trial, and etcd refuses an object above 1.5 MiB, so a sweep whose status could grow past it would stop
// mid-search on a refused write. The bound is read from the status schema's own maxima (stored-json.ts: every field
// present, every text and number at its longest, 6 bytes for a character where it may be escaped) and from the spec:
// the trials' parameters are these paths with each domain's longest value. A spec over the budget is refused naming
// spec.budget.maxTrials (zod: memeops validate, memeops sweep run, the operator's InvalidSpec).
//
// Not in the CRD's CEL: Kubernetes' CEL has a list sum(), but not the terms to sum. It cannot read a categorical value
// (an untyped node there) nor know the length of a number's JSON or of a string's escapes, so the API server admits
// such a spec and the operator refuses it (InvalidSpec, no new trial, nothing recorded lost) until
// spec.budget.maxTrials is lowered again.
import { LONGEST_NUMBER, maxStoredBytes, storedJsonBytes, storedStringBytes } from "./stored-json.ts";
import { MAX_TRIALS } from "./sweep-limits.ts";
import { memeSweepStatus, sweepTrial } from "./sweep-status.ts";

/** etcd's default request limit (--max-request-bytes), which bounds a stored object: 1.5 MiB. */
export const ETCD_OBJECT_LIMIT = 1.5 * 1024 * 1024;
/**
 * What the spec and the status together may take: 1 MiB, leaving 512 KiB of the etcd limit to the metadata. Of that,
 * annotations may take 256 KiB (the API server's limit, which also caps kubectl apply's last-applied copy of the spec);
 * the rest is labels, managedFields (which name the fields each manager set, not their values) and the fixed fields.
 */
export const SWEEP_OBJECT_BUDGET = 1024 * 1024;

type Scalar = string | number | boolean;
/** The parts of a parsed MemeSweep spec the bound reads (the spec itself counts whole). */
export interface BudgetedSpec {
  parameters: { path: string; categorical?: { values: Scalar[] }; uniform?: object; logUniform?: object; int?: { min: number; max: number } }[];
  budget: { maxTrials: number };
}

/** The longest JSON a parameter's value can have: its longest categorical value, its int bounds, any double. */
export function longestValueBytes(p: BudgetedSpec["parameters"][number]): number {
  if (p.categorical) return Math.max(0, ...p.categorical.values.map(storedJsonBytes));
  if (p.int) return Math.max(String(p.int.min).length, String(p.int.max).length);
  return LONGEST_NUMBER;
}

export interface StatusBound {
  /** the spec's own bytes, with maxTrials at its widest */
  specBytes: number;
  /** the status without trials */
  fixedBytes: number;
  /** one trial's entry, its comma included */
  perTrialBytes: number;
  /** each parameter's share of a trial's entry ("path":value,) */
  parameterBytes: number[];
  /** spec and status with this many trials */
  total: (maxTrials: number) => number;
  /** the largest maxTrials within the budget (0: not even one trial fits) */
  largestMaxTrials: number;
}

export function statusBound(spec: BudgetedSpec): StatusBound {
  const parameterBytes = spec.parameters.map((p) => storedStringBytes(p.path) + 1 + longestValueBytes(p) + 1);
  const record = () => 2 + parameterBytes.reduce((a, b) => a + b, 0);
  const perTrialBytes = maxStoredBytes(sweepTrial, { record }) + 1;
  const fixedBytes = maxStoredBytes(memeSweepStatus, { record, maxItems: (path) => (path === ".trials" ? 0 : undefined) });
  const specBytes = storedJsonBytes({ ...spec, budget: { ...spec.budget, maxTrials: MAX_TRIALS } });
  const total = (n: number) => specBytes + fixedBytes + n * perTrialBytes;
  const largestMaxTrials = Math.max(0, Math.min(MAX_TRIALS, Math.floor((SWEEP_OBJECT_BUDGET - specBytes - fixedBytes) / perTrialBytes)));
  return { specBytes, fixedBytes, perTrialBytes, parameterBytes, total, largestMaxTrials };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

/** Why this spec's status could outgrow etcd, or undefined when it cannot. */
export function statusBudgetProblem(spec: BudgetedSpec): string | undefined {
  if (!Array.isArray(spec.parameters) || typeof spec.budget?.maxTrials !== "number") return undefined; // refused elsewhere
  const b = statusBound(spec);
  const total = b.total(spec.budget.maxTrials);
  if (total <= SWEEP_OBJECT_BUDGET) return undefined;
  const largest = b.parameterBytes.indexOf(Math.max(...b.parameterBytes));
  const what =
    `${spec.budget.maxTrials} trials could make the sweep's status, with its spec, ${kib(total)} ` +
    `(${b.perTrialBytes} bytes per trial at most; the largest parameter, spec.parameters[${largest}] ${spec.parameters[largest]?.path}, ${b.parameterBytes[largest]}), ` +
    `over the ${kib(SWEEP_OBJECT_BUDGET)} that keep a MemeSweep below etcd's ${ETCD_OBJECT_LIMIT / 1024 / 1024} MiB object limit`;
  return b.largestMaxTrials > 0
    ? `${what}: these parameters allow spec.budget.maxTrials up to ${b.largestMaxTrials} (or use fewer or shorter categorical values)`
    : `${what}: not even one trial fits; use fewer or shorter categorical values`;
}
