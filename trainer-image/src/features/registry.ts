// Extractors by name. Adding one: a file under extractors/ exporting an ExtractorRegistration, and one line below.
import type { ExtractorFactory, ExtractorOptions, FeatureExtractor } from "./extractor.ts";
import { clip } from "./extractors/clip.ts";
import { efficientnet } from "./extractors/efficientnet.ts";
import { fasterrcnnVg } from "./extractors/fasterrcnn-vg.ts";
import { fasterrcnn } from "./extractors/fasterrcnn.ts";
import { pixels } from "./extractors/pixels.ts";
import { resnet } from "./extractors/resnet.ts";

export interface ExtractorRegistration {
  /** One line for listings. */
  description: string;
  /** File looked up in the model directory when the spec names no model; absent: the extractor has no weights. */
  defaultModelFile?: string;
  create: ExtractorFactory;
}

const REGISTRY: Readonly<Record<string, ExtractorRegistration>> = {
  pixels,
  resnet,
  clip,
  fasterrcnn,
  fasterrcnn_vg: fasterrcnnVg,
  efficientnet,
};

export function listExtractors(): { name: string; description: string; defaultModelFile?: string }[] {
  return Object.entries(REGISTRY).map(([name, { description, defaultModelFile }]) => ({
    name,
    description,
    ...(defaultModelFile === undefined ? {} : { defaultModelFile }),
  }));
}

export function extractorRegistration(name: string): ExtractorRegistration {
  const found = REGISTRY[name];
  if (!found) throw new Error(`unknown extractor ${JSON.stringify(name)}; known: ${Object.keys(REGISTRY).join(", ")}`);
  return found;
}

export async function createExtractor(name: string, options: ExtractorOptions): Promise<FeatureExtractor> {
  return extractorRegistration(name).create(options);
}
