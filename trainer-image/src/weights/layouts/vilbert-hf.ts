// The community ViLBERT layout (vilbert_hf). The hub uploads are Facebook's own files under another name:
//   the seed project's vilbert_hf downloads hf://visualjoyce/transformers4vl-vilbert/pytorch_model.bin
//   (ahshabayek/MultiModal_classification src/multimodalclassification/models/vilbert_hf.py); that repository's
//   commit 6590e30 added it as `pretrained_model.bin` (vilbert-multi-task's file name) with vilbert-multi-task's
//   config bert_base_6layer_6conect.json (v_hidden 1024, bi_hidden 1024, 8 heads, t_biattention_id 6..11) and a
//   config.json of the same values with model_type "vilbert"; the file is 1 GB like pretrained_model.bin.
//   visualjoyce/transformers4vl-vilbert-mt carries the same configs and a 1.07 GB file: multi_task_model.bin.
// So the names are Facebook's: bert.* and cls.* (see vilbert-facebook.ts) and, in the multi-task file,
// VILBertForVLTasks' task heads. vil_prediction.logit_fc = Linear(bi, 2bi), GeLU, LayerNorm(2bi),
// Linear(2bi, answers): memeops' vilbert_hf head reuses the first Linear and the LayerNorm; the last Linear has one
// output per VQA answer, so memeops' 2-class output starts fresh. A pretraining file (transformers4vl-vilbert: no
// vil_prediction) leaves the whole head to its initialisation. The state dicts themselves could not be listed from
// here: names follow from the file identity above, not from reading the uploads.
import { skipBy, torchParameter, type Layout } from "./layout.ts";
import { VILBERT_MULTI_TASK_POOLERS, vilbertBackboneRule } from "./vilbert-facebook.ts";

const HEAD_SKIPS = [
  [/^vil_prediction\.logit_fc\.3\./, "the task's answer layer (one output per answer): memeops' 2-class output starts fresh"],
  [/^vil_prediction\./, "a part of the task head memeops' vilbert_hf head does not have"],
  [/^(vil_prediction_gqa|vil_binary_prediction|vil_tri_prediction|vil_logit|vision_logit|linguisic_logit)\./,
    "task head of the multi-task release (GQA, NLVR2, ...): not the hateful-memes head"],
] as const;

export const vilbertHfLayout: Layout = {
  id: "vilbert_hf",
  describes: "Facebook's ViLBERT files as re-uploaded to the hub (visualjoyce/transformers4vl-vilbert[-mt]): bert.*, cls.*, " +
    "VILBertForVLTasks task heads (vil_prediction.logit_fc.{0,2,3}, ...)",
  rule(source, targets) {
    const name = source.replace(/^module\./, "");
    if (/^vil_prediction\.logit_fc\.[02]\./.test(name)) return torchParameter(name, targets);
    return skipBy(name, HEAD_SKIPS) ?? vilbertBackboneRule(source, targets);
  },
  notInCheckpoint(target) {
    if (target.startsWith("bert.v_embeddings.image_embeddings_LayerNorm.")) {
      return "memeops' vilbert_hf feature LayerNorm: no ViLBERT file, nor the seed's vilbert_hf, has one; starts at weight 1, bias 0";
    }
    if (target.startsWith("vil_prediction.logit_fc.3.")) return "the 2-class output layer: trained from scratch";
    if (target.startsWith("vil_prediction.")) return "task head: present only in fine-tuned (multi-task) files";
    return null;
  },
  trainedPoolers: VILBERT_MULTI_TASK_POOLERS,
};
