// Where a trainer finds the extractors' default model files (those an experiment without spec.features.model
// uses): the trainer image sets the default, and the operator mounts the models volume there when it has one.
export const MODEL_DIR_ENV = "MEMEOPS_MODEL_DIR";
export const DEFAULT_MODEL_DIR = "/models";
