// The model registry (timm style): an architecture is one file plus one line here.
import type { Dims } from "../training/batch.ts";
import type { Model, ModelName, ModelSize } from "./model.ts";
import { FacebookViLBERT } from "./vilbert-facebook.ts";
import { HfViLBERT } from "./vilbert-hf.ts";

type Factory = (size: ModelSize, dims: Dims, seed: number, config?: unknown) => Model;

const REGISTRY: Record<ModelName, Factory> = {
  vilbert_facebook: (size, dims, seed, config) => new FacebookViLBERT(size, dims, seed, config as FacebookViLBERT["config"] | undefined),
  vilbert_hf: (size, dims, seed, config) => new HfViLBERT(size, dims, seed, config as HfViLBERT["config"] | undefined),
};

export function listModels(): ModelName[] {
  return Object.keys(REGISTRY) as ModelName[];
}

/**
 * Builds a freshly initialised model. `seed` fixes the initial weights; `config` overrides the size preset
 * (a checkpoint passes the config it recorded).
 */
export function createModel(name: ModelName, size: ModelSize, dims: Dims, opts: { seed?: number; config?: unknown } = {}): Model {
  const factory = REGISTRY[name];
  if (!factory) throw new Error(`unknown model ${JSON.stringify(name)}; known: ${listModels().join(", ")}`);
  return factory(size, dims, opts.seed ?? 0, opts.config);
}
