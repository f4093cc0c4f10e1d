// The community ViLBERT layout (vilbert_hf): the multi-task release's VILBertForVLTasks state dict as re-uploaded
// to the Hugging Face hub. The backbone is Facebook's `bert.*` (see vilbert-facebook.ts); the difference is the
// head: vil_prediction.logit_fc = Linear(bi, 2bi), GeLU, LayerNorm(2bi), Linear(2bi, answers), whose first Linear
// and LayerNorm memeops' vilbert_hf head reuses. Its last Linear has one output per VQA answer: memeops' 2-class
// output starts fresh. A pretraining-only file (no vil_prediction) leaves the whole head to its initialisation.
import { skipBy, torchParameter, type Layout } from "./layout.ts";
import { vilbertBackboneRule } from "./vilbert-facebook.ts";

const HEAD_SKIPS = [
  [/^vil_prediction\.logit_fc\.3\./, "the task's answer layer (one output per answer): memeops' 2-class output starts fresh"],
  [/^vil_prediction\./, "a part of the task head memeops' vilbert_hf head does not have"],
  [/^(vil_prediction_gqa|vil_binary_prediction|vil_tri_prediction|vil_logit|vision_logit|linguisic_logit)\./,
    "task head of the multi-task release (GQA, NLVR2, ...): not the hateful-memes head"],
] as const;

export const vilbertHfLayout: Layout = {
  id: "vilbert_hf",
  describes: "vilbert-multi-task VILBertForVLTasks (hub re-uploads): bert.*, cls.*, vil_prediction.logit_fc.{0,2,3}, other task heads",
  rule(source, targets) {
    const name = source.replace(/^module\./, "");
    if (/^vil_prediction\.logit_fc\.[02]\./.test(name)) return torchParameter(name, targets);
    return skipBy(name, HEAD_SKIPS) ?? vilbertBackboneRule(source, targets);
  },
  notInCheckpoint(target) {
    if (target.startsWith("bert.v_embeddings.image_embeddings_LayerNorm.")) {
      return "memeops' vilbert_hf feature LayerNorm has no counterpart in published ViLBERT files: starts at weight 1, bias 0";
    }
    if (target.startsWith("vil_prediction.logit_fc.3.")) return "the 2-class output layer: trained from scratch";
    if (target.startsWith("vil_prediction.")) return "task head: present only in fine-tuned (multi-task) files";
    return null;
  },
};
