// Which layout reads a checkpoint into a model: told by the checkpoint's names (ViLBERT files have co-attention
// layers, BERT files do not) and, for ViLBERT files, by the model they load into.
import type { ModelName } from "../../models/model.ts";
import type { CheckpointFile } from "../tensors.ts";
import { bertLayout } from "./bert.ts";
import type { Layout } from "./layout.ts";
import { memeopsLayout } from "./memeops.ts";
import { vilbertFacebookLayout } from "./vilbert-facebook.ts";
import { vilbertHfLayout } from "./vilbert-hf.ts";

export const LAYOUTS: Record<string, Layout> = {
  vilbert_facebook: vilbertFacebookLayout,
  vilbert_hf: vilbertHfLayout,
  bert: bertLayout,
  memeops: memeopsLayout,
};

export type SourceFamily = "vilbert" | "bert" | "memeops";

export function sourceFamily(file: CheckpointFile): SourceFamily {
  if (file.format === "memeops-checkpoint") return "memeops";
  const names = [...file.tensors.keys()];
  if (names.some((n) => /(^|\.)bert\.encoder\.c_layer\.\d+\./.test(n))) return "vilbert";
  if (names.some((n) => /(^|\.)encoder\.layer\.\d+\./.test(n))) return "bert";
  throw new Error(`${file.path}: cannot tell its layout: no ViLBERT co-attention layers (bert.encoder.c_layer.N) and no ` +
    "BERT layers (encoder.layer.N); memeops reads Facebook's ViLBERT, the community ViLBERT and bert-base-uncased");
}

export function layoutFor(file: CheckpointFile, model: ModelName): Layout {
  const family = sourceFamily(file);
  if (family === "vilbert") return model === "vilbert_hf" ? vilbertHfLayout : vilbertFacebookLayout;
  return family === "bert" ? bertLayout : memeopsLayout;
}
