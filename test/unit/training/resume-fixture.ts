// The small training run the determinism/resume tests repeat, shared with the child process that is SIGKILLed.
import { createModel } from "../../../trainer-image/src/models/registry.ts";
import { xorMemes, XOR_DIMS } from "../../../trainer-image/src/training/xor-memes.ts";
import { trainingSpec } from "../../../api/v1alpha1/spec.ts";

export const spec = trainingSpec.parse({
  epochs: 3, batchSize: 16, learningRate: 1e-3, warmupSteps: 2, seed: 11, loss: { type: "focal" }, earlyStopping: { patience: 10 },
});
export const data = () => ({ train: xorMemes({ n: 48, seed: 3 }), validation: xorMemes({ n: 16, seed: 4 }) });
export const freshModel = () => createModel("vilbert_facebook", "tiny", XOR_DIMS, { seed: spec.seed });
