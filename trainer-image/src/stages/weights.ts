// Where `memeops run` finds spec.model.initialWeights on this machine. `uri`: a local checkpoint directory (an
// epoch directory, or a checkpoints root with best.json); file:// is accepted; remote URIs are the cluster's job.
// `fromExperiment: NAME`: the checkpoints of that experiment's local run, .memeops/runs/NAME/checkpoints (the
// default --out of `memeops run`), or MEMEOPS_RUNS_DIR/NAME/checkpoints; a run written elsewhere with --out must
// be named by uri: DIR/checkpoints.
import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import type { ModelSpec } from "../../../api/v1alpha1/spec.ts";

type InitialWeights = NonNullable<ModelSpec["initialWeights"]>;

export const runsDir = (env: NodeJS.ProcessEnv = process.env) => env.MEMEOPS_RUNS_DIR ?? ".memeops/runs";

export async function resolveInitialWeights(w: InitialWeights, _workDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (w.uri) {
    if (w.uri.startsWith("file://")) return fileURLToPath(w.uri);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(w.uri)) {
      throw new Error(`model.initialWeights.uri ${w.uri}: memeops run reads local checkpoint directories only; ` +
        "download it and give its path");
    }
    return resolve(w.uri);
  }
  const name = w.fromExperiment!;
  const path = resolve(join(runsDir(env), name, "checkpoints"));
  const found = await stat(path).then((s) => s.isDirectory(), () => false);
  if (!found) {
    throw new Error(`model.initialWeights.fromExperiment ${name}: no local run at ${path}. Run it with ` +
      `\`memeops run\` (default --out .memeops/runs/${name}), set MEMEOPS_RUNS_DIR, or use initialWeights.uri: DIR/checkpoints ` +
      "for a run written elsewhere with --out");
  }
  return path;
}
