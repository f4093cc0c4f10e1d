// Annotations on a MemeExperiment that the operator copies to its pods, e.g. for tests that let kwok decide a pod's
// fate (`memeops.io/pod-labels: memeops.io/test-outcome=failed`), or for cost-allocation labels.
// The operator's own labels and the Kueue labels (which come from the experiment's) cannot be set this way.
import { KUEUE_LABEL } from "../../api/contract/kueue.ts";
import { LABEL } from "./names.ts";

export const POD_LABELS_ANNOTATION = "memeops.io/pod-labels";
export const POD_ANNOTATIONS_ANNOTATION = "memeops.io/pod-annotations";

/** "k=v,k2=v2" -> {k: v, k2: v2}; malformed pairs are dropped. */
export function parseKeyValues(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? "").split(",")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

const reserved = new Set<string>([...Object.values(LABEL), ...Object.values(KUEUE_LABEL)]);

export function withoutReserved(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !reserved.has(k)));
}
