// Facebook's ViLBERT as published by facebookresearch/vilbert-multi-task: `pretrained_model.bin` (the Conceptual
// Captions model, BertForMultiModalPreTraining) and `multi_task_model.bin` (VILBertForVLTasks). Names:
//   bert.embeddings.*, bert.v_embeddings.{image_embeddings,image_location_embeddings,LayerNorm}.*,
//   bert.encoder.{layer,v_layer,c_layer}.N.*, bert.t_pooler.dense.*, bert.v_pooler.dense.*   -> the same names
//   cls.*                                  pretraining heads                                   -> skipped
//   vil_prediction*, vil_logit, ...        the multi-task release's task heads                 -> skipped
// The vilbert_facebook head (classifier.*) is this project's (FIELD-NOTES: 2048 -> 1024 -> 2): never published.
// The poolers were trained with ReLU (BertTextPooler, BertImagePooler: nn.ReLU()).
import { skipBy, torchParameter, type Layout, type Rule } from "./layout.ts";

/** vilbert-multi-task's BertTextPooler / BertImagePooler: Linear then nn.ReLU(), in every version of vilbert.py. */
export const VILBERT_MULTI_TASK_POOLERS = {
  activation: "relu",
  source: "facebookresearch/vilbert-multi-task vilbert/vilbert.py BertTextPooler/BertImagePooler (nn.ReLU)",
} as const;

const BACKBONE_SKIPS = [
  [/^cls\./, "pretraining head (masked language model, masked region, image-text alignment): not used to classify"],
  [/\.biOutput\.q_dense[12]\./, "BertBiOutput.q_dense1/2: created but unused by vilbert-multi-task's forward pass"],
  [/\.dyLinear_[qk]\./, "dynamic attention gates (config dynamic_attention): not part of memeops' ViLBERT"],
  [/^bert\.embeddings\.task_embeddings\./, "task tokens of the multi-task model (config task_specific_tokens): memeops has no task ids"],
  [/\.position_ids$|\.token_type_ids$/, "an index buffer, not a weight"],
] as const;

const TASK_HEAD_SKIPS = [
  [/^(vil_prediction|vil_prediction_gqa|vil_binary_prediction|vil_tri_prediction|vil_logit|vision_logit|linguisic_logit)\./,
    "task head of the multi-task release (VQA, GQA, NLVR2, ...): not the hateful-memes head"],
] as const;

/** The `bert.*` backbone every ViLBERT checkpoint shares, plus the pretraining heads it skips. */
export function vilbertBackboneRule(source: string, targets: ReadonlySet<string>): Rule | null {
  const name = source.replace(/^module\./, ""); // saved from nn.DataParallel
  return skipBy(name, BACKBONE_SKIPS) ?? (name.startsWith("bert.") ? torchParameter(name, targets) : null);
}

export const vilbertFacebookLayout: Layout = {
  id: "vilbert_facebook",
  describes: "facebookresearch/vilbert-multi-task pretrained_model.bin / multi_task_model.bin (bert.*, cls.*, task heads)",
  rule: (source, targets) => skipBy(source.replace(/^module\./, ""), TASK_HEAD_SKIPS) ?? vilbertBackboneRule(source, targets),
  notInCheckpoint: (target) =>
    target.startsWith("classifier.") ? "memeops' hateful-memes head (2 x biHidden -> headHidden -> 2): trained from scratch" : null,
  trainedPoolers: VILBERT_MULTI_TASK_POOLERS,
};
