// spec.features -> a ready extractor: the model file resolved (spec URI, else the extractor's default file in the
// model directory), fetched into the cache and hash-checked, checked against its manifest when it has one
// (models-io/manifest.ts), then the registered extractor created on it.
import { DEFAULT_MODEL_DIR, MODEL_DIR_ENV } from "../../../api/contract/model-dir.ts";
import type { FeaturesSpec } from "../../../api/v1alpha1/spec.ts";
import { ModelFileMissingError, type LocalModelFile, type ModelFetchOptions } from "../models-io/fetch-model.ts";
import { fetchCheckedModelFile, type ManifestPolicy, type ModelManifest } from "../models-io/manifest.ts";
import type { FeatureExtractor } from "./extractor.ts";
import { extractorRegistration } from "./registry.ts";

export interface ModelSources extends ModelFetchOptions, Pick<ManifestPolicy, "allowTestOnly"> {
  /** Directory (path or https base URL) holding the default model files; the trainer image sets MEMEOPS_MODEL_DIR. */
  modelDir: string;
}

export const defaultModelDir = (): string => process.env[MODEL_DIR_ENV] ?? DEFAULT_MODEL_DIR;

export interface OpenedExtractor {
  extractor: FeatureExtractor;
  /** The model file used (absent for weight-free extractors): log its URI and sha256 with the run. */
  model?: LocalModelFile;
  /** The model file's manifest, when one sits beside it (already checked against the file). */
  manifest?: ModelManifest;
}

export async function openExtractorForSpec(spec: FeaturesSpec, sources: ModelSources): Promise<OpenedExtractor> {
  const registration = extractorRegistration(spec.extractor);
  const uri =
    spec.model ??
    (registration.defaultModelFile === undefined
      ? undefined
      : `${sources.modelDir.replace(/\/+$/, "")}/${registration.defaultModelFile}`);
  const checked = uri === undefined ? undefined : await fetchCheckedModelFile(uri, { ...sources, expectedModel: spec.extractor }).catch((error: unknown) => {
    // the default file missing is a setup step not done yet: say which one
    if (spec.model === undefined && error instanceof ModelFileMissingError) {
      throw new ModelFileMissingError(
        `${error.message} (the default file of extractor ${spec.extractor}, in the model directory ${MODEL_DIR_ENV}=${sources.modelDir}): ` +
          `export it there with \`memeops models export ${spec.extractor} --out DIR\` (on a cluster: the chart's models option, ` +
          `docs/install.md "Model files"), or name a file in spec.features.model`,
      );
    }
    throw error;
  });
  const model = checked?.file;
  const extractor = await registration.create({
    regions: spec.regions,
    ...(model ? { modelPath: model.path } : {}),
    ...(spec.detector ? { scoreThreshold: spec.detector.scoreThreshold, nmsThreshold: spec.detector.nmsThreshold } : {}),
  });
  return { extractor, ...(model ? { model } : {}), ...(checked?.manifest ? { manifest: checked.manifest } : {}) };
}
