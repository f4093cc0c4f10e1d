// A published checkpoint layout: how each of its tensor names lands in a memeops model, which of its tensors are
// left out on purpose (and why), and which model parameters it cannot hold (they start from the model's seeded
// initialisation, by design). One file per layout; the loader (../plan.ts) does the bookkeeping.
import type { PoolerActivation } from "../../models/model.ts";

export type Rule =
  /** copy into `target`; PyTorch Linear weights [out, in] become memeops kernels [in, out] (`transpose`) */
  | { kind: "map"; target: string; transpose: boolean }
  | { kind: "skip"; reason: string };

export interface Layout {
  id: string;
  /** where the layout comes from, for reports and docs */
  describes: string;
  /** null: the layout does not know this tensor (an unexpected tensor: an error) */
  rule(source: string, targets: ReadonlySet<string>): Rule | null;
  /** non-null: why this model parameter is not expected in such a checkpoint (it stays at its initial value) */
  notInCheckpoint(target: string): string | null;
  /** the activation the checkpoint's poolers (bert.t_pooler, bert.v_pooler) were trained with, and the evidence */
  trainedPoolers?: { activation: PoolerActivation; source: string };
}

/**
 * The memeops parameter a PyTorch parameter name becomes: `X.weight` of a Linear -> `X.kernel` (transposed),
 * LayerNorm and Embedding weights and all biases keep their names. Old TF-converted files (bert-base-uncased's
 * pytorch_model.bin) call LayerNorm parameters gamma and beta. null: the model has no such parameter.
 */
export function torchParameter(name: string, targets: ReadonlySet<string>): Rule | null {
  const renamed = name.replace(/\.gamma$/, ".weight").replace(/\.beta$/, ".bias");
  if (renamed.endsWith(".weight")) {
    const kernel = `${renamed.slice(0, -".weight".length)}.kernel`;
    if (targets.has(kernel)) return { kind: "map", target: kernel, transpose: true };
  }
  return targets.has(renamed) ? { kind: "map", target: renamed, transpose: false } : null;
}

/** The first matching [pattern, reason] as a skip rule. */
export function skipBy(name: string, table: readonly (readonly [RegExp, string])[]): Rule | null {
  const hit = table.find(([pattern]) => pattern.test(name));
  return hit ? { kind: "skip", reason: hit[1] } : null;
}
