// BLIP's text decoder with its KV cache, as export/memeops_exporter/models/blip.py writes it:
//   text_decoder_cross_kv.onnx  encoder_hidden_states [N, S, D] -> present.{i}.encoder.key/value [N, H, S, Dh]
//   text_decoder.onnx           input_ids [N, T], past_key_values.{i}.decoder.key/value [N, H, P, Dh],
//                               past_key_values.{i}.encoder.key/value -> logits [N, T, V], present.{i}.decoder.key/value
// The cross-attention keys and values are computed once per batch of images; each step then feeds one new token
// per sequence and the previous step's self-attention keys and values (none at the start: P = 0).
import { OnnxModel, ort } from "../features/onnx/onnx-model.ts";

/** Logits [N, V] for the token after `tokens` [N]; the sequence so far is in the session's cache. */
export type DecodeStep = (tokens: BigInt64Array) => Promise<{ logits: Float32Array; vocab: number }>;

const CACHE = {
  pastKey: "past_key_values.{layer}.decoder.key",
  pastValue: "past_key_values.{layer}.decoder.value",
  crossKey: "past_key_values.{layer}.encoder.key",
  crossValue: "past_key_values.{layer}.encoder.value",
};
const PRESENT = { presentKey: "present.{layer}.decoder.key", presentValue: "present.{layer}.decoder.value" };
const CROSS_OUT = { crossKey: "present.{layer}.encoder.key", crossValue: "present.{layer}.encoder.value" };

export class CachedTextDecoder {
  private constructor(
    private readonly cross: OnnxModel,
    private readonly decoder: OnnxModel,
    /** Heads and head size of the self-attention cache: the shape of an empty past. */
    private readonly heads: number,
    private readonly headSize: number,
  ) {}

  static async open(crossPath: string, decoderPath: string): Promise<CachedTextDecoder> {
    const decoder = await OnnxModel.open(decoderPath, {
      inputs: { ids: ["input_ids"] },
      outputs: { logits: ["logits"] },
      perLayer: { inputs: CACHE, outputs: PRESENT },
    });
    try {
      const cross = await OnnxModel.open(crossPath, { inputs: { encoder: ["encoder_hidden_states"] }, outputs: {}, perLayer: { outputs: CROSS_OUT } });
      if (cross.layers !== decoder.layers) {
        await cross.close();
        throw new Error(`${crossPath} has cross-attention keys for ${cross.layers} layers, ${decoderPath} has ${decoder.layers}: files of different exports`);
      }
      const [, heads, , headSize] = decoder.inputShape("pastKey.0");
      if (typeof heads !== "number" || typeof headSize !== "number") {
        await cross.close();
        throw new Error(`${decoderPath}: ${CACHE.pastKey.replace("{layer}", "0")} must have fixed heads and head size [N, H, P, Dh], has [${decoder.inputShape("pastKey.0").join(", ")}]`);
      }
      return new CachedTextDecoder(cross, decoder, heads, headSize);
    } catch (error) {
      await decoder.close();
      throw error;
    }
  }

  /** A decoding session for a batch of images' embeddings [N, S, D]. */
  async start(imageEmbeds: ort.Tensor): Promise<DecodeStep> {
    const batch = imageEmbeds.dims[0]!;
    const layers = this.decoder.layers;
    const crossKv = await this.cross.run({ encoder: imageEmbeds });
    const empty = new ort.Tensor("float32", new Float32Array(0), [batch, this.heads, 0, this.headSize]);
    let past: ort.Tensor[] = Array.from({ length: 2 * layers }, () => empty);
    return async (tokens) => {
      const feeds: Record<string, ort.Tensor> = { ids: new ort.Tensor("int64", tokens, [batch, 1]) };
      for (let layer = 0; layer < layers; layer++) {
        feeds[`pastKey.${layer}`] = past[2 * layer]!;
        feeds[`pastValue.${layer}`] = past[2 * layer + 1]!;
        feeds[`crossKey.${layer}`] = crossKv[`crossKey.${layer}`]!;
        feeds[`crossValue.${layer}`] = crossKv[`crossValue.${layer}`]!;
      }
      const out = await this.decoder.run(feeds);
      past = Array.from({ length: layers }, (_, layer) => [out[`presentKey.${layer}`]!, out[`presentValue.${layer}`]!]).flat();
      const logits = out.logits!;
      return { logits: logits.data as Float32Array, vocab: logits.dims[2]! };
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.cross.close(), this.decoder.close()]);
  }
}
