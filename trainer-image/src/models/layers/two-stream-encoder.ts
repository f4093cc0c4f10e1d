// ViLBERT's two-stream encoder (vilbert-multi-task `BertEncoder`): a text stream and a visual stream of transformer
// layers, joined by co-attention layers. Co-attention layer i runs after text layers [.., tBiattentionId[i]) and
// visual layers [.., vBiattentionId[i]); the remaining layers of each stream run at the end. With the published
// defaults (t = [6..11], v = [0..5]) the first six text layers run alone, then each co-attention layer follows
// one text layer and one visual layer. A one-modality model keeps only its stream's layers (no co-attention).
// `apply` can start a stream past its first layers (a frozen part whose output was computed before): those layers
// all run before the first co-attention layer (frozen-parts.ts), so skipping them changes nothing else.
import type * as tf from "@tensorflow/tfjs";
import { TransformerLayer, type StreamShape } from "./transformer-layer.ts";
import { CoAttentionLayer, type CoAttentionShape } from "./co-attention.ts";
import type { ParamStore } from "./params.ts";
import type { ForwardContext } from "./context.ts";
import type { Modality } from "../model.ts";

export interface TwoStreamShape {
  text: StreamShape & { layers: number };
  visual: StreamShape & { layers: number };
  bi: CoAttentionShape;
  /** text layer index before which co-attention layer i runs (ascending) */
  tBiattentionId: number[];
  /** visual layer index before which co-attention layer i runs (ascending) */
  vBiattentionId: number[];
}

export function checkTwoStreamShape(s: TwoStreamShape): void {
  const ascending = (ids: number[], max: number) => ids.every((id, i) => id >= 0 && id <= max && (i === 0 || id >= ids[i - 1]!));
  if (s.tBiattentionId.length !== s.vBiattentionId.length) throw new Error("tBiattentionId and vBiattentionId differ in length");
  if (!ascending(s.tBiattentionId, s.text.layers)) throw new Error(`tBiattentionId must ascend within 0..${s.text.layers}`);
  if (!ascending(s.vBiattentionId, s.visual.layers)) throw new Error(`vBiattentionId must ascend within 0..${s.visual.layers}`);
}

/** The order layers run in: "t3" = text layer 3, "v0" = visual layer 0, "c1" = co-attention layer 1. */
export function layerSchedule(s: Pick<TwoStreamShape, "tBiattentionId" | "vBiattentionId"> & { textLayers: number; visualLayers: number }): string[] {
  const order: string[] = [];
  let t = 0;
  let v = 0;
  s.tBiattentionId.forEach((tEnd, i) => {
    for (; t < tEnd; t++) order.push(`t${t}`);
    for (; v < s.vBiattentionId[i]!; v++) order.push(`v${v}`);
    order.push(`c${i}`);
  });
  for (; v < s.visualLayers; v++) order.push(`v${v}`);
  for (; t < s.textLayers; t++) order.push(`t${t}`);
  return order;
}

export class TwoStreamEncoder {
  readonly textLayers: TransformerLayer[];
  readonly visualLayers: TransformerLayer[];
  readonly coLayers: CoAttentionLayer[];
  private readonly schedule: string[];

  constructor(p: ParamStore, name: string, s: TwoStreamShape, modalities: readonly Modality[] = ["text", "image"]) {
    checkTwoStreamShape(s);
    const text = modalities.includes("text");
    const image = modalities.includes("image");
    this.textLayers = text ? Array.from({ length: s.text.layers }, (_, i) => new TransformerLayer(p, `${name}.layer.${i}`, s.text)) : [];
    this.visualLayers = image ? Array.from({ length: s.visual.layers }, (_, i) => new TransformerLayer(p, `${name}.v_layer.${i}`, s.visual)) : [];
    this.coLayers = text && image ? s.tBiattentionId.map((_, i) => new CoAttentionLayer(p, `${name}.c_layer.${i}`, s.text, s.visual, s.bi)) : [];
    const kept = { t: text, v: image, c: text && image } as Record<string, boolean>;
    this.schedule = layerSchedule({ ...s, textLayers: s.text.layers, visualLayers: s.visual.layers }).filter((step) => kept[step[0]!]);
  }

  /** Runs the schedule; `done` skips the first layers of a stream whose input is already their output. */
  apply(
    text: tf.Tensor | null, textMask: tf.Tensor, visual: tf.Tensor | null, visualMask: tf.Tensor, ctx: ForwardContext,
    done: { text: number; visual: number } = { text: 0, visual: 0 },
  ): [tf.Tensor | null, tf.Tensor | null] {
    let t = text;
    let v = visual;
    for (const step of this.schedule) {
      const i = Number(step.slice(1));
      if (step[0] === "t") {
        if (i >= done.text) t = this.textLayers[i]!.apply(t!, textMask, ctx);
      } else if (step[0] === "v") {
        if (i >= done.visual) v = this.visualLayers[i]!.apply(v!, visualMask, ctx);
      } else [t, v] = this.coLayers[i]!.apply(t!, textMask, v!, visualMask, ctx);
    }
    return [t, v];
  }
}
