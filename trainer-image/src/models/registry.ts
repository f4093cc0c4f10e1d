// The model registry (timm style): an architecture is one file plus one line here.
import type { Dims } from "../common/batch.ts";
import type { Modality, Model, ModelName, ModelSize, PoolerActivation } from "./model.ts";
import { FacebookViLBERT, PRESETS as FACEBOOK_PRESETS } from "./vilbert-facebook.ts";
import { HfViLBERT, PRESETS as HF_PRESETS } from "./vilbert-hf.ts";

interface Entry {
  presets: Record<ModelSize, object>;
  create(size: ModelSize, dims: Dims, seed: number, config?: unknown): Model;
}

const REGISTRY: Record<ModelName, Entry> = {
  vilbert_facebook: {
    presets: FACEBOOK_PRESETS,
    create: (size, dims, seed, config) => new FacebookViLBERT(size, dims, seed, config as FacebookViLBERT["config"] | undefined),
  },
  vilbert_hf: {
    presets: HF_PRESETS,
    create: (size, dims, seed, config) => new HfViLBERT(size, dims, seed, config as HfViLBERT["config"] | undefined),
  },
};

export function listModels(): ModelName[] {
  return Object.keys(REGISTRY) as ModelName[];
}

export interface CreateModelOptions {
  /** fixes the initial weights */
  seed?: number;
  /** overrides the size preset (a checkpoint passes the config it recorded) */
  config?: unknown;
  /** overrides the config's pooler activation (spec.model.poolerActivation) */
  poolerActivation?: PoolerActivation;
  /** overrides the config's streams (spec.model.modalities) */
  modalities?: readonly Modality[];
}

/** Builds a freshly initialised model. */
export function createModel(name: ModelName, size: ModelSize, dims: Dims, opts: CreateModelOptions = {}): Model {
  const entry = REGISTRY[name];
  if (!entry) throw new Error(`unknown model ${JSON.stringify(name)}; known: ${listModels().join(", ")}`);
  const config = opts.poolerActivation || opts.modalities
    ? {
      ...((opts.config ?? entry.presets[size]) as object),
      ...(opts.poolerActivation ? { poolerActivation: opts.poolerActivation } : {}),
      ...(opts.modalities ? { modalities: [...opts.modalities] } : {}),
    }
    : opts.config;
  return entry.create(size, dims, opts.seed ?? 0, config);
}
