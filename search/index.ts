// The search module's surface for the operator and the CLI.
export type * from "./types.ts";
export { createAlgorithm, ALGORITHM_NAMES } from "./algorithms/registry.ts";
export { decide } from "./pruning/registry.ts";
export { rungEpochs } from "./pruning/asha.ts";
export { checkSpace, SearchSpaceError, lossOf } from "./space.ts";
export { searchSpace, algorithmConfig, prunerConfig, type ParameterSpec, type AlgorithmSpec, type EarlyStoppingSpec } from "./sweep-spec.ts";
