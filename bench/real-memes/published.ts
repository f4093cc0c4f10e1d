// Published results on HarMeme's binary task (harmful = somewhat + very harmful), test split, means over 10 seeds,
// as tabulated in the PromptHate paper (Cao et al. 2023, arXiv 2302.04156, Table 3), which reruns the baselines of
// the HarMeme paper (Pramanick et al. 2021, arXiv 2110.00413). Values are fractions, not percent.
export interface PublishedResult {
  model: string;
  /** which of this benchmark's models it compares with */
  comparesWith: "text" | "image" | "fused" | null;
  auroc: number;
  accuracy: number;
  source: string;
}

const PROMPTHATE = "PromptHate, arXiv 2302.04156, Table 3";

export const PUBLISHED_HARMEME: PublishedResult[] = [
  { model: "Text BERT", comparesWith: "text", auroc: 0.814, accuracy: 0.757, source: PROMPTHATE },
  { model: "Image-Region", comparesWith: "image", auroc: 0.765, accuracy: 0.731, source: PROMPTHATE },
  { model: "ViLBERT CC", comparesWith: "fused", auroc: 0.841, accuracy: 0.787, source: PROMPTHATE },
  { model: "VisualBERT COCO", comparesWith: null, auroc: 0.805, accuracy: 0.753, source: PROMPTHATE },
  { model: "MMBT", comparesWith: null, auroc: 0.855, accuracy: 0.798, source: PROMPTHATE },
  { model: "PromptHate", comparesWith: null, auroc: 0.91, accuracy: 0.845, source: PROMPTHATE },
];

/** Always answering "harmless" on HarMeme's test split (230 of 354 are not harmful). */
export const MAJORITY_ACCURACY = { accuracy: 0.65, source: "HarMeme test split label counts (354 memes, 35% harmful)" };
