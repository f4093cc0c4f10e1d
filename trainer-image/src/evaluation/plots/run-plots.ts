// The two pictures of a run, written into its work dir: roc.svg/.png from the test predictions, and
// training-curves.svg/.png from the full epoch history.
import type { EpochMetrics, TestResults } from "../../../../api/v1alpha1/status.ts";
import type { Predictions } from "../predict.ts";
import { rocCurve } from "../roc.ts";
import { rocChart } from "./roc-chart.ts";
import { trainingCurvesChart, trainingCurvesNotes } from "./training-curves-chart.ts";
import { writePlot, type PlotFiles } from "./write-plot.ts";

export const PLOT_NAMES = { roc: "roc", trainingCurves: "training-curves" } as const;

export function writeRocPlot(dir: string, predictions: Pick<Predictions, "probabilities" | "labels">, test: TestResults): Promise<PlotFiles> {
  const curve = rocCurve(predictions.probabilities, predictions.labels);
  const notes = curve.undefinedBecause ? [curve.undefinedBecause] : [];
  return writePlot(dir, PLOT_NAMES.roc, rocChart({ curve, auroc: test.auroc, threshold: test.threshold }), notes);
}

export function writeTrainingCurvesPlot(dir: string, history: EpochMetrics[], bestEpoch: number | null | undefined): Promise<PlotFiles> {
  return writePlot(dir, PLOT_NAMES.trainingCurves, trainingCurvesChart({ history, bestEpoch }), trainingCurvesNotes(history));
}
