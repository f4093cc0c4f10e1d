// Early stopping on val_auroc needs both classes in the validation split: with one, AUROC has no value in any epoch,
// no epoch could be the best, and the train stage refuses before the first epoch, naming the field and the counts.
import { describe, expect, it } from "vitest";
import { checkStoppingMetric } from "../../../trainer-image/src/stages/train-stage.ts";
import type { PreparedSource } from "../../../trainer-image/src/stages/prepared-source.ts";

const split = (...labels: (0 | 1 | null)[]) => ({ items: labels.map((label, i) => ({ id: String(i), label })) }) as unknown as PreparedSource;

describe("the early-stopping metric against the validation split", () => {
  it("val_auroc with one class: refused, the field and the counts named", () => {
    expect(() => checkStoppingMetric("val_auroc", split(0, 0, 0, null))).toThrow(
      /^spec\.training\.earlyStopping\.metric val_auroc: the validation split holds one class only \(0 positive, 3 negative\).*stop on val_loss instead/,
    );
    expect(() => checkStoppingMetric("val_auroc", split(1))).toThrow(/\(1 positive, 0 negative\)/);
  });

  it("both classes, or a metric that one class leaves defined: accepted", () => {
    expect(() => checkStoppingMetric("val_auroc", split(0, 1))).not.toThrow();
    for (const metric of ["val_loss", "val_f1", "val_accuracy"] as const) expect(() => checkStoppingMetric(metric, split(0, 0))).not.toThrow();
  });
});
