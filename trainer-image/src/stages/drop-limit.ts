// spec.dataset.maxDroppedFraction: a split that loses more than this share of its rows stops the run. A wrong image
// mount once left 340 of 12,140 rows (11,800 "image missing"), and the run trained on the 3% left as if nothing had
// happened; the numbers such a run produces describe a different dataset than the one the user named.
import type { DroppedItem } from "./prepare-report.ts";
import type { SplitRole } from "../data/splits.ts";

const EXAMPLES = 5;

/**
 * Throws when `dropped` (the split's dropped rows) is more than `max` of `rows` (the split's rows after identical
 * repeats were removed). The message names the count, the first few rows and their reasons (paths, for missing
 * images), and the field that sets the threshold.
 */
export function assertDropLimit(role: SplitRole, dropped: readonly DroppedItem[], rows: number, max: number): void {
  if (rows === 0 || dropped.length / rows <= max) return;
  const share = ((100 * dropped.length) / rows).toFixed(1);
  const first = dropped.slice(0, EXAMPLES).map((d) => `${d.where}: ${d.reason}`);
  throw new Error(
    `the ${role} split lost ${dropped.length} of its ${rows} rows (${share}%), more than spec.dataset.maxDroppedFraction = ${max}; ` +
      `the first: ${first.join("; ")}. Check the dataset path and spec.dataset.layout (images, fields), or raise ` +
      "spec.dataset.maxDroppedFraction if these rows are meant to go",
  );
}
