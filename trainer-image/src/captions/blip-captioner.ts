// BLIP base image captioning on onnxruntime, from the files export/ writes (export/memeops_exporter/models/blip.py):
//   vision_model.onnx  pixel_values [N, 3, 384, 384] (PIL bicubic, CLIP mean/std) -> image_embeds [N, 577, 768]
//   text_decoder_cross_kv.onnx and text_decoder.onnx: the text decoder with its KV cache (cached-text-decoder.ts)
// Decoding is greedy from [DEC] (30522) to [SEP] (102), one token per step, as BlipForConditionalGeneration.generate
// without a prompt (num_beams=1, do_sample=False).
import { sha256File } from "../models-io/file-hash.ts";
import type { DecodedImage } from "../features/extractor.ts";
import { resizeSquare } from "../features/image/resize.ts";
import { CLIP, imageBatch } from "../features/image/to-tensor.ts";
import { fixedBatchOf, inFixedBatches } from "../features/onnx/fixed-batch.ts";
import { OnnxModel, ort } from "../features/onnx/onnx-model.ts";
import { CachedTextDecoder } from "./cached-text-decoder.ts";
import { greedyDecode } from "./greedy-decode.ts";
import { loadWordPieceDecoder } from "./wordpiece-decoder.ts";

export interface Captioner {
  /** Everything that changes a caption besides the image; part of the caption cache key. */
  readonly fingerprint: string;
  caption(images: DecodedImage[]): Promise<string[]>;
  close(): Promise<void>;
}

export interface BlipFiles {
  visionModelPath: string;
  crossKvModelPath: string;
  decoderModelPath: string;
  /** vocab.txt or tokenizer.json. */
  vocabPath: string;
}

export interface BlipOptions {
  maxTokens: number;
}

export const BLIP_IMAGE_SIZE = 384;
/** BlipImageProcessorPil's resize: PIL bicubic to 384x384 (what the original BLIP's torchvision Resize does on PIL images). */
export const BLIP_RESIZE = "pil-bicubic";
const TOKENS = { bos: 30522, eos: 102, pad: 0 };

/** The captioner's token ids per image (what transformers' generate returns after [DEC], up to [SEP]). */
export interface BlipTokenCaptioner extends Captioner {
  captionTokens(images: DecodedImage[]): Promise<number[][]>;
}

export async function openBlipCaptioner(files: BlipFiles, options: BlipOptions): Promise<BlipTokenCaptioner> {
  const vision = await OnnxModel.open(files.visionModelPath, {
    inputs: { pixels: ["pixel_values"] },
    outputs: { embeds: ["image_embeds", "last_hidden_state"] },
  });
  const decoder = await CachedTextDecoder.open(files.crossKvModelPath, files.decoderModelPath).catch(async (error: unknown) => {
    await vision.close();
    throw error;
  });
  const close = () => Promise.all([vision.close(), decoder.close()]).then(() => {});
  const paths = [files.visionModelPath, files.crossKvModelPath, files.decoderModelPath, files.vocabPath];
  const [vocab, ...hashes] = await Promise.all([loadWordPieceDecoder(files.vocabPath), ...paths.map((p) => sha256File(p))] as const).catch(
    async (error: unknown) => {
      await close();
      throw error;
    },
  );

  const tokensOf = async (images: DecodedImage[]): Promise<number[][]> => {
    const batch = images.length;
    const { data: pixels } = await imageBatch(images, BLIP_IMAGE_SIZE, resizeSquare, BLIP_RESIZE, CLIP);
    const { embeds } = await vision.run({ pixels: new ort.Tensor("float32", pixels, [batch, 3, BLIP_IMAGE_SIZE, BLIP_IMAGE_SIZE]) });
    return greedyDecode({ batch, maxTokens: options.maxTokens, ...TOKENS, next: await decoder.start(embeds!) });
  };
  const captionTokens = (images: DecodedImage[]) => inFixedBatches(images, fixedBatchOf(vision.inputShape("pixels")), tokensOf);

  return {
    fingerprint: `blip|vision=${hashes[0]}|cross=${hashes[1]}|decoder=${hashes[2]}|vocab=${hashes[3]}|size=${BLIP_IMAGE_SIZE}|${BLIP_RESIZE}|max=${options.maxTokens}|greedy|v2`,
    captionTokens,
    caption: async (images) => (await captionTokens(images)).map((ids) => vocab.decode(ids)),
    close,
  };
}
