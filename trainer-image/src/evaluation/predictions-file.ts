// The predictions file: CSV with a header, one row per sample: id, probability, prediction, label
// (label empty when unknown). Ids stay strings (the dataset's ids have leading zeros). Written atomically.
import type { Predictions } from "./predict.ts";
import { writeFileAtomic } from "../common/atomic-write.ts";

const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

export function predictionsCsv(p: Predictions, threshold: number): string {
  const rows = ["id,probability,prediction,label"];
  p.ids.forEach((id, i) => {
    const prob = p.probabilities[i]!;
    const label = p.labels[i]!;
    rows.push([csvField(id), prob.toPrecision(7), prob >= threshold ? 1 : 0, label === 0 || label === 1 ? label : ""].join(","));
  });
  return rows.join("\n") + "\n";
}

export async function writePredictions(path: string, p: Predictions, threshold: number): Promise<void> {
  await writeFileAtomic(path, predictionsCsv(p, threshold));
}
