// spec.dataset.captions -> a BLIP captioner, or undefined when captions are off for this experiment.
// The model location is a directory (path, file:// or https base URL) with the files `memeops models export blip`
// writes: vision_model.onnx, text_decoder_cross_kv.onnx, text_decoder.onnx and vocab.txt (or tokenizer.json). Each
// file's manifest, when one sits beside it, is checked (models-io/manifest.ts); an optional SHA256SUMS pins the files.
import type { DatasetSpec } from "../../../api/v1alpha1/spec.ts";
import { openModelDir, type LocalModelFile, type ModelDir, type ModelFetchOptions } from "../models-io/fetch-model.ts";
import { checkedDirFile, type ManifestPolicy, type ModelManifest } from "../models-io/manifest.ts";
import { openBlipCaptioner, type Captioner } from "./blip-captioner.ts";

export const BLIP_FILES = {
  vision: "vision_model.onnx",
  crossKv: "text_decoder_cross_kv.onnx",
  decoder: "text_decoder.onnx",
  vocab: ["vocab.txt", "tokenizer.json"],
} as const;

export interface OpenedCaptioner {
  captioner: Captioner;
  /** The files used: log their URIs and hashes with the run. */
  files: LocalModelFile[];
  /** The manifests found beside them (already checked against the files). */
  manifests: ModelManifest[];
}

export async function openCaptionerForSpec(
  spec: DatasetSpec["captions"],
  sources: ModelFetchOptions & Pick<ManifestPolicy, "allowTestOnly">,
): Promise<OpenedCaptioner | undefined> {
  if (!spec.enabled) return undefined;
  if (spec.model === undefined) throw new Error("captions are enabled but captions.model is not set");
  const dir = await openModelDir(spec.model, sources);
  const policy = { allowTestOnly: sources.allowTestOnly ?? false, expectedModel: "blip" };
  const checked = [];
  for (const name of [BLIP_FILES.vision, BLIP_FILES.crossKv, BLIP_FILES.decoder]) checked.push(await checkedDirFile(dir, name, policy));
  checked.push(await checkedDirFile(dir, await vocabName(dir), policy));
  const [vision, crossKv, decoder, vocab] = checked.map((c) => c.file) as [LocalModelFile, LocalModelFile, LocalModelFile, LocalModelFile];
  const captioner = await openBlipCaptioner(
    { visionModelPath: vision.path, crossKvModelPath: crossKv.path, decoderModelPath: decoder.path, vocabPath: vocab.path },
    { maxTokens: spec.maxTokens },
  );
  return { captioner, files: [vision, crossKv, decoder, vocab], manifests: checked.flatMap((c) => (c.manifest ? [c.manifest] : [])) };
}

async function vocabName(dir: ModelDir): Promise<string> {
  for (const name of BLIP_FILES.vocab) if (await dir.optionalFile(name)) return name;
  throw new Error(`captioner ${dir.uri} has neither ${BLIP_FILES.vocab.join(" nor ")}`);
}
