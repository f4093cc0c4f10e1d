// BLIP base image captioning on onnxruntime: a vision encoder and a text decoder exported separately.
//   vision_model.onnx  pixel_values [N, 3, 384, 384] (CLIP mean/std) -> image_embeds [N, 577, 768]
//   text_decoder.onnx  input_ids [N, T] int64, attention_mask [N, T] int64, encoder_hidden_states [N, 577, 768]
//                      -> logits [N, T, 30524]
// Decoding is greedy from [DEC] (30522) to [SEP] (102), as BlipForConditionalGeneration.generate without a prompt.
import { sha256File } from "../models-io/file-hash.ts";
import type { DecodedImage } from "../features/extractor.ts";
import { resizeSquare } from "../features/image/resize.ts";
import { CLIP, imageBatch } from "../features/image/to-tensor.ts";
import { fixedBatchOf, inFixedBatches } from "../features/onnx/fixed-batch.ts";
import { OnnxModel, ort } from "../features/onnx/onnx-model.ts";
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
  decoderModelPath: string;
  /** vocab.txt or tokenizer.json. */
  vocabPath: string;
}

export interface BlipOptions {
  maxTokens: number;
}

const IMAGE_SIZE = 384;
const TOKENS = { bos: 30522, eos: 102, pad: 0 };

export async function openBlipCaptioner(files: BlipFiles, options: BlipOptions): Promise<Captioner> {
  const vision = await OnnxModel.open(files.visionModelPath, {
    inputs: { pixels: ["pixel_values"] },
    outputs: { embeds: ["image_embeds", "last_hidden_state"] },
  });
  const decoder = await OnnxModel.open(files.decoderModelPath, {
    inputs: { ids: ["input_ids"], mask: ["attention_mask"], encoder: ["encoder_hidden_states"] },
    outputs: { logits: ["logits"] },
  }).catch(async (error: unknown) => {
    await vision.close();
    throw error;
  });
  const close = () => Promise.all([vision.close(), decoder.close()]).then(() => {});
  const [vocab, visionSha, decoderSha, vocabSha] = await Promise.all([
    loadWordPieceDecoder(files.vocabPath),
    ...[files.visionModelPath, files.decoderModelPath, files.vocabPath].map((p) => sha256File(p)),
  ] as const).catch(async (error: unknown) => {
    await close();
    throw error;
  });

  const captionChunk = async (images: DecodedImage[]): Promise<string[]> => {
    const batch = images.length;
    const { data: pixels } = await imageBatch(images, IMAGE_SIZE, resizeSquare, "cubic", CLIP);
    const { embeds } = await vision.run({ pixels: new ort.Tensor("float32", pixels, [batch, 3, IMAGE_SIZE, IMAGE_SIZE]) });
    const tokens = await greedyDecode({
      batch,
      maxTokens: options.maxTokens,
      ...TOKENS,
      async step(ids, length) {
        const { logits } = await decoder.run({
          ids: new ort.Tensor("int64", ids, [batch, length]),
          mask: new ort.Tensor("int64", new BigInt64Array(batch * length).fill(1n), [batch, length]),
          encoder: embeds!,
        });
        return { logits: logits!.data as Float32Array, vocab: logits!.dims[2]! };
      },
    });
    return tokens.map((ids) => vocab.decode(ids));
  };

  return {
    fingerprint: `blip|vision=${visionSha}|decoder=${decoderSha}|vocab=${vocabSha}|size=${IMAGE_SIZE}|max=${options.maxTokens}|greedy|v1`,
    caption: (images) => inFixedBatches(images, fixedBatchOf(vision.inputShape("pixels")), captionChunk),
    close,
  };
}
