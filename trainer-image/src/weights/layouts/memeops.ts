// memeops' own checkpoints (and `memeops weights convert` output): parameter names are the model's own.
import type { Layout } from "./layout.ts";

export const memeopsLayout: Layout = {
  id: "memeops",
  describes: "a memeops checkpoint (model.safetensors by parameter name)",
  rule: (source, targets) => (targets.has(source) ? { kind: "map", target: source, transpose: false } : null),
  notInCheckpoint: () => null,
};
