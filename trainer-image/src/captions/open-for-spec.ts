// spec.dataset.captions -> a BLIP captioner, or undefined when captions are off for this experiment.
// The model location is a directory (path, file:// or https base URL) with vision_model.onnx, text_decoder.onnx
// and vocab.txt (or tokenizer.json); an optional SHA256SUMS in it pins the files.
import type { DatasetSpec } from "../../../api/v1alpha1/spec.ts";
import { openModelDir, type LocalModelFile, type ModelFetchOptions } from "../models-io/fetch-model.ts";
import { openBlipCaptioner, type Captioner } from "./blip-captioner.ts";

export const BLIP_FILES = { vision: "vision_model.onnx", decoder: "text_decoder.onnx", vocab: ["vocab.txt", "tokenizer.json"] } as const;

export interface OpenedCaptioner {
  captioner: Captioner;
  /** The files used: log their URIs and hashes with the run. */
  files: LocalModelFile[];
}

export async function openCaptionerForSpec(
  spec: DatasetSpec["captions"],
  sources: ModelFetchOptions,
): Promise<OpenedCaptioner | undefined> {
  if (!spec.enabled) return undefined;
  if (spec.model === undefined) throw new Error("captions are enabled but captions.model is not set");
  const dir = await openModelDir(spec.model, sources);
  const vision = await dir.file(BLIP_FILES.vision);
  const decoder = await dir.file(BLIP_FILES.decoder);
  let vocab: LocalModelFile | undefined;
  for (const name of BLIP_FILES.vocab) vocab ??= await dir.optionalFile(name);
  if (!vocab) throw new Error(`captioner ${spec.model} has neither ${BLIP_FILES.vocab.join(" nor ")}`);
  const captioner = await openBlipCaptioner(
    { visionModelPath: vision.path, decoderModelPath: decoder.path, vocabPath: vocab.path },
    { maxTokens: spec.maxTokens },
  );
  return { captioner, files: [vision, decoder, vocab] };
}
