// fast-check generators of MemeSweep specs near the boundary between valid and invalid, built from the same
// helpers as the MemeExperiment generator (whose specs are now and then the trial template).
import fc from "fast-check";
import { field, oneOfKeys, someOf, specArbitrary, withUnknown } from "./spec-arbitrary.ts";

const template = fc.record(
  {
    metadata: someOf({ labels: field([{ team: "memes" }], [{ team: 1 }]), annotations: field([{ note: "x" }], [{ note: 2 }]) }),
    spec: fc.oneof(
      { arbitrary: fc.constant({ dataset: { source: { synthetic: {} } }, features: { extractor: "pixels", regions: 16 } }), weight: 12 },
      { arbitrary: specArbitrary, weight: 1 },
    ),
  },
  { requiredKeys: ["spec"] },
);

const bounds = (good: [number, number][], bad: [number, number][]) => field(good, bad).map(([min, max]) => ({ min, max }));

const domain = oneOfKeys({
  categorical: fc.record({ values: field<unknown[]>([[1, 2], ["resnet", "clip"], [true, false], [0.5]], [[], Array(101).fill(1)]) }),
  uniform: bounds([[0, 1], [0.1, 0.2]], [[1, 1], [2, 1]]),
  logUniform: bounds([[1e-5, 1e-2], [0.5, 1]], [[0, 1], [-1, 1], [1e-2, 1e-5]]),
  int: fc.tuple(bounds([[1, 10], [0, 200]], [[5, 5], [3, 1], [1.5, 3]]), someOf({ step: field([1, 20], [0, -1, 1.5]) })).map(([b, s]) => ({ ...b, ...s })),
});

const parameter = withUnknown(
  fc.record(
    { path: field(["training.learningRate", "training.warmupSteps", "training.loss.gamma", "features.extractor", "model.size", "checks.enforce"], ["training.nope", "training", "suspend", ""]) },
    { requiredKeys: ["path"] },
  ),
).chain((p) => domain.map((d) => ({ ...p, ...d })));

const parameters = field([1, 2, 3], [0, 21]).chain((n) => fc.array(parameter, { minLength: n, maxLength: n }));

const seed = someOf({ seed: field([0, 7], [-1, 2 ** 31]) });

export const sweepSpecArbitrary = withUnknown(
  fc.record(
    {
      trialTemplate: template,
      parameters,
      objective: someOf({ metric: field(["val_auroc", "val_loss", "val_f1", "val_accuracy"], ["train_loss"]), direction: field(["maximize", "minimize"], ["up"]), goal: field([0.9, 0.1], ["high"]) }),
      algorithm: oneOfKeys({
        grid: someOf({ pointsPerDimension: field([2, 3, 100], [1, 101]) }),
        random: seed,
        tpe: fc.tuple(seed, someOf({ startupTrials: field([1, 5], [0]), candidates: field([24], [0, 1001]), gamma: field([0.25], [0, 1]) })).map(([a, b]) => ({ ...a, ...b })),
      }),
      budget: someOf({
        maxTrials: field([1, 12, 500], [0, 501]),
        parallelism: field([1, 3], [0]),
        maxFailedTrials: field([0, 3], [-1]),
        maxDuration: field(["6h", "90m", "1h30m", "500ms"], ["6 hours", "1d", ""]),
      }),
      earlyStopping: fc.oneof(
        { arbitrary: someOf({ median: someOf({ warmupEpochs: field([0, 2], [-1]), minTrials: field([1, 3], [0]) }) }), weight: 5 },
        { arbitrary: someOf({ asha: someOf({ minEpochs: field([1, 2], [0]), reductionFactor: field([2, 3], [1]) }) }), weight: 5 },
        { arbitrary: fc.constant({ median: {}, asha: {} }), weight: 1 },
      ),
      suspend: field([true, false], ["no"]),
    },
    { requiredKeys: ["trialTemplate", "parameters", "algorithm"] },
  ),
);
