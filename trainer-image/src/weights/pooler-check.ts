// Which activation the loaded poolers run with, against the one their weights were trained with. A mismatch is a
// warning, not a refused load: every tensor fits and loads, the pooler's Dense is trained on during fine-tuning, and
// vilbert_hf (tanh by default) is meant to start from Facebook's ReLU-trained file. The warning names the setting
// that matches the file.
import type { PoolerActivation } from "../models/model.ts";
import type { Layout } from "./layouts/layout.ts";

export interface PoolerCheck {
  /** what the model's poolers apply */
  model: PoolerActivation;
  /** what the checkpoint's pooler weights were trained with; null when the file gives the poolers no weights */
  checkpoint: PoolerActivation | null;
  /** where `checkpoint` comes from */
  source?: string;
}

const POOLER = /^bert\.[tv]_pooler\./;

export function checkPoolers(layout: Layout, model: { label: string; poolerActivation: PoolerActivation }, loadedTargets: readonly string[]) {
  const trained = loadedTargets.some((t) => POOLER.test(t)) ? layout.trainedPoolers : undefined;
  const poolers: PoolerCheck = { model: model.poolerActivation, checkpoint: trained?.activation ?? null, ...(trained ? { source: trained.source } : {}) };
  const warnings = trained && trained.activation !== model.poolerActivation
    ? [`bert.t_pooler and bert.v_pooler were trained with ${trained.activation} (${trained.source}); ${model.label} applies ` +
      `${model.poolerActivation}, so its pooled vectors differ from the published model's until fine-tuning adapts them; ` +
      `model.poolerActivation: ${trained.activation} (memeops weights: --pooler-activation ${trained.activation}) matches the file`]
    : [];
  return { poolers, warnings };
}
