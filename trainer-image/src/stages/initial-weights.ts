// spec.model.initialWeights on the trainer's machine.
//   uri: https:// (token from the Secret named by tokenSecret, mounted as a file, else HF_TOKEN for huggingface.co
//        only), hf://ORG/REPO[@REV]/FILE (the hub's resolve URL), file://, an absolute path or a mounted volume.
//        Remote files are downloaded once into the cache (models-io/fetch-model.ts, data/download.ts); `sha256`
//        pins the content, of a download and of a local file alike.
//        A file is a published checkpoint (PyTorch zip or legacy, safetensors) read through the layout its names
//        and the model call for (weights/layouts); a directory is a memeops checkpoint (training's or
//        `memeops weights convert` output).
//   fromExperiment: NAME: that experiment's local run, .memeops/runs/NAME/checkpoints (the default --out of
//        `memeops run`), or MEMEOPS_RUNS_DIR/NAME/checkpoints; a run written elsewhere must be named by uri.
// A missing file is an error, never a random start. A load that leaves a parameter of the model without a tensor
// is an error unless allowPartial; either way WORKDIR/weights-report.json lists every tensor and parameter.
import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import type { ModelSpec } from "../../../api/v1alpha1/spec.ts";
import type { Model } from "../models/model.ts";
import type { Log } from "../data/log.ts";
import { resolveHfToken } from "../data/hf-token.ts";
import { fetchModelFile } from "../models-io/fetch-model.ts";
import { writeFileAtomic } from "../common/atomic-write.ts";
import { openCheckpoint } from "../weights/open-checkpoint.ts";
import { loadInto, WeightsLoadError } from "../weights/load.ts";
import { count, notLoaded, summaryLine, type LoadReport } from "../weights/load-plan.ts";
import { groupNames } from "../weights/name-groups.ts";

type InitialWeights = NonNullable<ModelSpec["initialWeights"]>;

export const runsDir = (env: NodeJS.ProcessEnv = process.env) => env.MEMEOPS_RUNS_DIR ?? ".memeops/runs";

async function experimentCheckpoints(name: string, env: NodeJS.ProcessEnv): Promise<string> {
  const path = resolve(join(runsDir(env), name, "checkpoints"));
  const found = await stat(path).then((s) => s.isDirectory(), () => false);
  if (!found) {
    throw new Error(`model.initialWeights.fromExperiment ${name}: no local run at ${path}. Run it with ` +
      `\`memeops run\` (default --out .memeops/runs/${name}), set MEMEOPS_RUNS_DIR, or use initialWeights.uri: DIR/checkpoints ` +
      "for a run written elsewhere with --out");
  }
  return path;
}

/** hf://ORG/REPO[@REVISION]/PATH -> the hub's download URL for that file. */
export function hubUrl(uri: string): string {
  const m = /^hf:\/\/([^/@]+)\/([^/@]+)(?:@([^/]+))?\/(.+)$/.exec(uri);
  if (!m) throw new Error(`model.initialWeights.uri ${uri}: write hf://ORG/REPO[@REVISION]/FILE`);
  const [, org, repo, rev, file] = m;
  return `https://huggingface.co/${org}/${repo}/resolve/${encodeURIComponent(rev ?? "main")}/${file}`;
}

export interface WeightsLocation {
  /** as written in the spec */
  uri: string;
  /** on this machine: a file or a checkpoint directory */
  path: string;
  /** of a file (checked against initialWeights.sha256 when given) */
  sha256?: string;
}

export interface LocateOptions {
  workDir: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Evaluate and predict: only a trained memeops checkpoint directory on this machine will do (a published file has
   * no hateful-memes head; nothing is downloaded); a missing one is left to the checkpoint reader to name.
   */
  trainedCheckpoint?: boolean;
  /** where downloads are kept between runs; default MEMEOPS_CACHE_DIR/weights, else WORKDIR/cache/weights */
  cacheDir?: string;
}

/**
 * Where the initial weights are on this machine, downloading them first when remote (train mode); with
 * trainedCheckpoint, the memeops checkpoint directory evaluate and predict read.
 */
export async function locateInitialWeights(w: InitialWeights, opts: LocateOptions): Promise<WeightsLocation> {
  const env = opts.env ?? process.env;
  if (!w.uri) {
    if (w.sha256 && !opts.trainedCheckpoint) throw new Error("model.initialWeights.sha256 pins a file; fromExperiment names a checkpoint directory");
    return { uri: `fromExperiment:${w.fromExperiment}`, path: await experimentCheckpoints(w.fromExperiment!, env) };
  }
  if (opts.trainedCheckpoint) return { uri: w.uri, path: await trainedCheckpointDir(w.uri) };
  const target = w.uri.startsWith("hf://") ? hubUrl(w.uri) : /^[a-z][a-z0-9+.-]*:\/\//i.test(w.uri) ? w.uri : resolve(w.uri);
  if (!/^https?:\/\//i.test(target)) {
    const path = target.startsWith("file://") ? fileURLToPath(target) : target;
    const info = await stat(path).catch(() => null);
    if (!info) throw new Error(`model.initialWeights.uri ${w.uri}: ${path} does not exist; refusing to start from random weights`);
    if (info.isDirectory()) {
      if (w.sha256) throw new Error(`model.initialWeights.sha256 pins a file; ${path} is a checkpoint directory`);
      return { uri: w.uri, path };
    }
  }
  const token = w.tokenSecret
    ? await resolveHfToken(w.tokenSecret, env)
    : /^https:\/\/huggingface\.co\//.test(target) ? env.HF_TOKEN?.trim() || undefined : undefined; // HF_TOKEN goes to the hub only
  const cacheDir = opts.cacheDir ?? (env.MEMEOPS_CACHE_DIR ? join(env.MEMEOPS_CACHE_DIR, "weights") : join(opts.workDir, "cache", "weights"));
  const pinned = w.sha256 ? `${target}#sha256=${w.sha256}` : target;
  const file = await fetchModelFile(pinned, { cacheDir, ...(token ? { bearerToken: token } : {}) }).catch((e: Error) => {
    throw new Error(`model.initialWeights.uri ${w.uri}: ${e.message}; refusing to start from random weights`);
  });
  return { uri: w.uri, path: file.path, sha256: file.sha256 };
}

async function trainedCheckpointDir(uri: string): Promise<string> {
  if (!uri.startsWith("file://") && /^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    throw new Error(`model.initialWeights.uri ${uri}: memeops run reads local checkpoint directories only; ` +
      "download it and give its path");
  }
  const path = uri.startsWith("file://") ? fileURLToPath(uri) : resolve(uri);
  if (await stat(path).then((s) => s.isFile(), () => false)) {
    throw new Error(`model.initialWeights.uri ${uri}: evaluate and predict need a trained memeops checkpoint directory; ` +
      "a published checkpoint file has no hateful-memes head: train from it (mode: train), or convert it with `memeops weights convert`");
  }
  return path;
}

export interface InitialWeightsLoad extends WeightsLocation {
  report: LoadReport;
  seconds: number;
}

export interface LoadInitialOptions extends LocateOptions {
  log?: Log;
}

/** Train mode: the initial weights into `model`, checked, reported in WORKDIR/weights-report.json. */
export async function loadInitialWeights(model: Model, w: InitialWeights, opts: LoadInitialOptions): Promise<InitialWeightsLoad> {
  const started = performance.now();
  const location = await locateInitialWeights(w, opts);
  const file = await openCheckpoint(location.path);
  const write = (l: InitialWeightsLoad) => writeFileAtomic(join(opts.workDir, "weights-report.json"), `${JSON.stringify(weightsReportJson(l), null, 2)}\n`);
  let report: LoadReport;
  try {
    report = loadInto(model, file, { allowPartial: w.allowPartial });
  } catch (e) {
    // a refused load leaves its report too: every tensor, not only the first problems the message lists
    if (e instanceof WeightsLoadError && e.report) await write({ ...location, report: e.report, seconds: (performance.now() - started) / 1000 });
    throw e;
  }
  const load: InitialWeightsLoad = { ...location, report, seconds: (performance.now() - started) / 1000 };
  await write(load);
  opts.log?.(`initial weights: ${summaryLine(report)} in ${load.seconds.toFixed(1)} s`);
  const { notLoaded: kept } = weightsSummary(load);
  if (kept.length) opts.log?.(`initial weights: keeping initial values for ${kept.join(", ")}`);
  return load;
}

export function weightsReportJson(load: InitialWeightsLoad) {
  return { uri: load.uri, path: load.path, sha256: load.sha256 ?? null, seconds: load.seconds, ...load.report };
}

/** The load in a few fields (results.json's run.initialWeights): where from, and which parameters were not loaded. */
export function weightsSummary(load: InitialWeightsLoad) {
  const r = load.report;
  const open = notLoaded(r);
  return {
    uri: load.uri,
    ...(load.sha256 ? { sha256: load.sha256 } : {}),
    format: r.format,
    layout: r.layout,
    loaded: count(r.targets, "loaded"),
    /** missing or wrong-shaped: non-zero only with allowPartial */
    missing: count(r.targets, "missing") + count(r.targets, "wrong-shape"),
    /** the parameters that kept their initial values, a whole module written as "prefix.*" */
    notLoaded: groupNames(r.targets.map((t) => t.name), open.map((t) => t.name)),
    notLoadedCount: open.length,
    report: "weights-report.json",
  };
}

/** The same as MLflow params (values hold at most 6000 characters; the full list is in weights-report.json). */
export function weightsParams(load: InitialWeightsLoad): Record<string, string | number> {
  const s = weightsSummary(load);
  const names = s.notLoaded.join(", ");
  return {
    "initial_weights.uri": s.uri,
    ...(s.sha256 ? { "initial_weights.sha256": s.sha256 } : {}),
    "initial_weights.format": s.format,
    "initial_weights.layout": s.layout,
    "initial_weights.loaded": s.loaded,
    "initial_weights.not_loaded_count": s.notLoadedCount,
    "initial_weights.missing": s.missing,
    "initial_weights.pooler_activation": load.report.poolers.model,
    "initial_weights.not_loaded": names.length > 5900 ? `${names.slice(0, 5850)} ... (full list: weights-report.json)` : names || "none",
  };
}
