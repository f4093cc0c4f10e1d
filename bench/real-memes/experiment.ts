// The benchmark's experiments: the file's spec pointed at the dataset and model files given on the command line, and
// one variant per model compared (text-only, image-only, fused), differing only in what the model reads and the seed.
import { join, relative } from "node:path";
import type { MemeExperimentSpec } from "../../api/v1alpha1/spec.ts";
import { loadPreparedSource } from "../../trainer-image/src/stages/prepared-source.ts";
import type { Variant } from "./report.ts";

/** Where the sample experiment expects the model files (a mounted volume in a cluster). */
export const SAMPLE_MODELS_DIR = "/var/lib/memeops/models";

/** The spec with its dataset at `data` and every file under SAMPLE_MODELS_DIR looked up in `modelsDir` instead. */
export function withLocalPaths(spec: MemeExperimentSpec, data: string, modelsDir: string): MemeExperimentSpec {
  const relocate = (uri: string | undefined) => {
    if (uri === undefined) return undefined;
    const rel = relative(SAMPLE_MODELS_DIR, uri);
    return rel.startsWith("..") ? uri : join(modelsDir, rel);
  };
  const weights = spec.model.initialWeights;
  return {
    ...spec,
    dataset: { ...spec.dataset, source: { directory: { path: data } } },
    features: { ...spec.features, ...(spec.features.model ? { model: relocate(spec.features.model)! } : {}) },
    model: { ...spec.model, ...(weights?.uri ? { initialWeights: { ...weights, uri: relocate(weights.uri)! } } : {}) },
  };
}

/**
 * One model of the comparison. The text-only model keeps the text weights and drops the visual stream; the image-only
 * one reads the same image features and has no text encoder, so it takes no text weights and freezes no text layers.
 */
export function variantSpec(base: MemeExperimentSpec, variant: Variant, seed: number): MemeExperimentSpec {
  const { textLayers, visualLayers } = base.training.freeze;
  const training = { ...base.training, seed };
  if (variant === "fused") return { ...base, model: { ...base.model, modalities: ["text", "image"] }, training };
  if (variant === "text") {
    return {
      ...base,
      model: { ...base.model, modalities: ["text"] },
      training: { ...training, freeze: textLayers === undefined ? {} : { textLayers } },
    };
  }
  const { initialWeights: _textWeights, ...model } = base.model;
  return {
    ...base,
    model: { ...model, modalities: ["image"] },
    training: { ...training, freeze: visualLayers === undefined ? {} : { visualLayers } },
  };
}

/** The source class of each test item, in the order predictions come (undefined when the layout maps none). */
export async function testClasses(preparedDir: string, ids: readonly string[]): Promise<string[] | undefined> {
  const test = await loadPreparedSource(preparedDir, "test");
  const classOf = new Map(test.items.map((item) => [item.id, item.class]));
  const classes = ids.map((id) => classOf.get(id));
  return classes.every((c): c is string => c !== undefined) ? classes : undefined;
}

/**
 * The test items whose image is byte for byte one of the train split's (HarMeme's test split repeats 27 train memes
 * under new ids): a model may have learnt them, so the report also scores the test split without them.
 */
export async function testItemsRepeatedFromTrain(preparedDir: string): Promise<Set<string>> {
  const [train, test] = await Promise.all([loadPreparedSource(preparedDir, "train"), loadPreparedSource(preparedDir, "test")]);
  const trainImages = new Set(train.items.map((item) => item.image.sha256));
  return new Set(test.items.filter((item) => trainImages.has(item.image.sha256)).map((item) => item.id));
}

/** The ids of the prepared test split, in the order predictions come. */
export async function testIds(preparedDir: string): Promise<string[]> {
  return (await loadPreparedSource(preparedDir, "test")).items.map((item) => item.id);
}
