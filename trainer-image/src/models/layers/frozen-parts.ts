// training.freeze in the model: which parameters a frozen part holds, and how far a stream may be frozen. A frozen
// part is a stream's embeddings plus its first N layers, and it must end before the first co-attention layer: only
// then does its output depend on its own input alone, so it can be computed once per sample and cached
// (training/frozen-cache.ts) and the training forward pass can start after it.
import type { ParamStore } from "./params.ts";
import type { TwoStreamShape } from "./two-stream-encoder.ts";
import type { FrozenLayers, Modality } from "../model.ts";

const STREAMS = {
  text: { field: "training.freeze.textLayers", modality: "text", embeddings: "bert.embeddings.", layer: "bert.encoder.layer." },
  visual: { field: "training.freeze.visualLayers", modality: "image", embeddings: "bert.v_embeddings.", layer: "bert.encoder.v_layer." },
} as const;

/** The most layers of each stream that run before any co-attention layer (all of them without co-attention). */
export function freezableLayers(s: TwoStreamShape, modalities: readonly Modality[]): FrozenLayers {
  const both = modalities.includes("text") && modalities.includes("image") && s.tBiattentionId.length > 0;
  return {
    text: modalities.includes("text") ? (both ? s.tBiattentionId[0]! : s.text.layers) : null,
    visual: modalities.includes("image") ? (both ? s.vBiattentionId[0]! : s.visual.layers) : null,
  };
}

/** Checks `layers` against the architecture; throws naming the field and the bound. */
export function checkFrozenLayers(layers: FrozenLayers, s: TwoStreamShape, modalities: readonly Modality[], label: string): void {
  const max = freezableLayers(s, modalities);
  for (const stream of ["text", "visual"] as const) {
    const n = layers[stream];
    if (n === null) continue;
    const { field, modality } = STREAMS[stream];
    const bound = max[stream];
    if (bound === null) throw new Error(`${field} ${n}: ${label} has no ${stream} stream (model.modalities has no ${modality})`);
    if (n > bound) {
      const total = stream === "text" ? s.text.layers : s.visual.layers;
      throw new Error(
        `${field} ${n}: ${label}'s ${stream} stream can freeze at most ${bound} of its ${total} layers` +
          (bound < total ? `: its first co-attention layer follows ${stream} layer ${bound - 1}, and a frozen part must end before it` : ""),
      );
    }
  }
}

/** The names of the parameters the frozen parts hold. */
export function frozenParameterNames(params: ParamStore, layers: FrozenLayers): string[] {
  const prefixes: string[] = [];
  for (const stream of ["text", "visual"] as const) {
    const n = layers[stream];
    if (n === null) continue;
    prefixes.push(STREAMS[stream].embeddings, ...Array.from({ length: n }, (_, i) => `${STREAMS[stream].layer}${i}.`));
  }
  return [...params.variables.keys()].filter((name) => prefixes.some((p) => name.startsWith(p)));
}
