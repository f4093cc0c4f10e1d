// bert-base-uncased into the text stream of either ViLBERT. Accepted names: HF `BertModel` (embeddings.*,
// encoder.layer.N.*, pooler.*), and `BertForPreTraining` dumps such as bert-base-uncased's pytorch_model.bin
// (the same under bert., plus cls.*, with LayerNorm gamma/beta). BERT's 12 layers are ViLBERT's 12 text layers
// (bert.encoder.layer.N); everything else of the model (visual stream, co-attention, poolers, head) is not in BERT.
import { skipBy, torchParameter, type Layout } from "./layout.ts";

const SKIPS = [
  [/^cls\./, "BERT pretraining head (masked language model, next sentence): not used to classify"],
  [/^pooler\./, "BERT's pooler (hidden -> hidden): ViLBERT's t_pooler maps to the co-attention width instead"],
  [/^embeddings\.(position_ids|token_type_ids)$/, "an index buffer, not a weight"],
] as const;

export const bertLayout: Layout = {
  id: "bert",
  describes: "Hugging Face BertModel / BertForPreTraining (bert-base-uncased): embeddings.*, encoder.layer.N.*",
  rule(source, targets) {
    const name = source.replace(/^module\./, "").replace(/^bert\./, "");
    const skip = skipBy(name, SKIPS);
    if (skip) return skip;
    return /^(embeddings|encoder\.layer\.\d+)\./.test(name) ? torchParameter(`bert.${name}`, targets) : null;
  },
  notInCheckpoint: (target) =>
    /^bert\.(embeddings|encoder\.layer\.\d+)\./.test(target) ? null : "not part of BERT (visual stream, co-attention, poolers or head)",
};
