// Loads a checkpoint file into a model through its layout, all or nothing: the plan is checked before any weight
// is touched, and an incomplete load (unexpected, wrong-shaped or missing tensors) is an error unless the caller
// allows a partial one; then the report says exactly which parameters kept their initial values.
import * as tf from "@tensorflow/tfjs";
import type { Model } from "../models/model.ts";
import { withLegacyDefaults } from "../checkpoint/manifest.ts";
import { layoutFor } from "./layouts/index.ts";
import { count, loadProblems, planLoad, type LoadReport } from "./load-plan.ts";
import type { CheckpointFile } from "./tensors.ts";

export class WeightsLoadError extends Error {
  constructor(message: string, readonly report?: LoadReport) {
    super(message);
  }
}

const MAX_LISTED = 25;

export const modelLabel = (model: Model) => `${model.architecture.name}/${model.architecture.size}`;

export function planFor(model: Model, file: CheckpointFile): LoadReport {
  const shapes = new Map([...model.params.variables].map(([name, v]) => [name, v.shape]));
  return planLoad(file, layoutFor(file, model.architecture.name), { label: modelLabel(model), shapes, poolerActivation: model.poolerActivation });
}

/** A memeops checkpoint holds one architecture's weights: only that architecture (any T and R) can take them. */
function checkMemeopsArchitecture(model: Model, file: CheckpointFile): void {
  const saved = file.architecture;
  if (!saved) return;
  const mine = model.architecture;
  const diffs: string[] = [];
  if (saved.name !== mine.name) diffs.push(`model ${saved.name} != ${mine.name}`);
  const [a, b] = [withLegacyDefaults(saved.config), withLegacyDefaults(mine.config)] as unknown as Record<string, unknown>[];
  const keys = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])];
  const differing = keys.filter((k) => JSON.stringify(a?.[k]) !== JSON.stringify(b?.[k]));
  if (differing.length || JSON.stringify(a) !== JSON.stringify(b)) {
    diffs.push(`config (size ${saved.size} vs ${mine.size}) differs${differing.length ? ` in ${differing.join(", ")}` : ""}`);
  }
  if (saved.dims.D !== mine.dims.D) diffs.push(`feature size D=${saved.dims.D} != ${mine.dims.D}`);
  if (diffs.length) throw new WeightsLoadError(`${file.path} holds ${saved.name}/${saved.size} weights, not ${modelLabel(model)}: ${diffs.join("; ")}`);
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** Checks the plan, then copies every mapped tensor into the model. Returns the report. */
export function loadInto(model: Model, file: CheckpointFile, opts: { allowPartial?: boolean } = {}): LoadReport {
  checkMemeopsArchitecture(model, file);
  const report = planFor(model, file);
  if (count(report.sources, "mapped") + count(report.sources, "wrong-shape") === 0) {
    throw new WeightsLoadError(`${file.path}: not one of its ${report.sources.length} tensors maps to ${report.model} (layout ${report.layout})`, report);
  }
  const problems = loadProblems(report);
  if (problems.length > 0 && !opts.allowPartial) {
    const listed = problems.slice(0, MAX_LISTED).map((p) => `  ${p}`);
    if (problems.length > MAX_LISTED) listed.push(`  ... and ${problems.length - MAX_LISTED} more (memeops weights inspect lists them all)`);
    throw new WeightsLoadError(
      `${file.path} does not fit ${report.model} (layout ${report.layout}): ${problems.length} problem(s); set ` +
        `model.initialWeights.allowPartial to start anyway with these left at their initial values:\n${listed.join("\n")}`,
      report,
    );
  }
  for (const s of report.sources) {
    if (s.status !== "mapped") continue;
    const variable = model.params.variables.get(s.target!)!;
    let data = file.tensors.get(s.name)!.read();
    if (s.transpose) data = transpose2d(data, s.shape[0]!, s.shape[1]!);
    tf.tidy(() => variable.assign(tf.tensor(data, variable.shape)));
  }
  return report;
}
