// The real-memes benchmark: HarMeme (Harm-C, 3,544 real COVID-19 memes) prepared once with the experiment's real
// encoders, then the text-only, image-only and fused models trained on train, early-stopped on val and scored on
// test, over several seeds; writes docs/results.md (table, per-class figures, published numbers) and its picture.
//   npx tsx bench/real-memes.ts --data PATH [--file conf/experiments/harmeme-minilm.yaml] [--seeds 1,2,3]
//       [--variants text,image,fused] [--models DIR] [--work DIR] [--results docs/results.md] [--report-only]
// PATH is the folder holding annotations/ and images/ (from the public repository di-dimitrov/mmf:
// data/datasets/memes/defaults); DIR holds the encoders (bench/real-memes/encoders.sh puts them in the default
// ~/.cache/memeops/models) and replaces the sample's /var/lib/memeops/models. --work keeps the prepared data and runs.json between invocations; --report-only
// rewrites the report from runs.json without training. Frozen text-layer outputs are computed once for all runs
// (MEMEOPS_CACHE_DIR, default WORK/cache).
import { mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { cpus, homedir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadExperimentsFromText } from "../api/load.ts";
import type { MemeExperimentSpec } from "../api/v1alpha1/spec.ts";
import { selectBackend } from "../trainer-image/src/training/tfjs-backend.ts";
import { prepare } from "../trainer-image/src/stages/prepare.ts";
import { runTrainStage } from "../trainer-image/src/stages/train-stage.ts";
import type { TrainEvent } from "../trainer-image/src/training/loop.ts";
import { runEvaluateStage } from "../trainer-image/src/stages/evaluate-stage.ts";
import { writePlot } from "../trainer-image/src/evaluation/plots/write-plot.ts";
import { testClasses, testIds, testItemsRepeatedFromTrain, variantSpec, withLocalPaths } from "./real-memes/experiment.ts";
import { barsSvg, fusionGainTable, markdownTable, perClassTable, publishedTable, summarise, VARIANT_NAMES, VARIANTS, type BenchRecord, type Variant } from "./real-memes/report.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    file: { type: "string", default: "conf/experiments/harmeme-minilm.yaml" },
    seeds: { type: "string", default: "1,2,3" },
    variants: { type: "string", default: VARIANTS.join(",") },
    work: { type: "string", default: ".memeops/bench-real" },
    models: { type: "string", default: join(homedir(), ".cache/memeops/models") },
    results: { type: "string", default: "docs/results.md" },
    "report-only": { type: "boolean", default: false },
  },
});

const work = resolve(values.work);
const SWEEP_SECTION = "## A sweep on HarMeme";
const runsPath = join(work, "runs.json");

async function runAll(): Promise<BenchRecord> {
  if (!values.data) throw new Error("--data PATH is required: the HarMeme folder with annotations/ and images/");
  const seeds = values.seeds.split(",").map((s) => {
    if (!/^\d+$/.test(s)) throw new Error(`--seeds: "${s}" is not a non-negative integer`);
    return Number(s);
  });
  const variants = values.variants.split(",").map((v) => {
    if (!(VARIANTS as readonly string[]).includes(v)) throw new Error(`--variants: "${v}" is not one of ${VARIANTS.join(", ")}`);
    return v as Variant;
  });
  const [doc] = loadExperimentsFromText(await readFile(values.file, "utf8"), values.file);
  if (!doc?.experiment) throw new Error(`${values.file}: ${JSON.stringify(doc?.problems)}`);
  const base = withLocalPaths(doc.experiment.spec, resolve(values.data), resolve(values.models));
  const backend = await selectBackend({});
  await mkdir(work, { recursive: true });

  await prepare(base, { workDir: work, storageDir: join(work, "storage") });
  // the report of the prepare that wrote the data (a reused one keeps it), so its time is the real one
  const prepareReport = JSON.parse(await readFile(join(work, "prepared", "prepare-report.json"), "utf8")) as { seconds: number };
  const prepareSeconds = prepareReport.seconds;
  console.log(`prepared ${values.data} in ${prepareSeconds.toFixed(1)} s (backend ${backend.choice})`);

  const previous: BenchRecord | null = await readFile(runsPath, "utf8").then((t) => JSON.parse(t) as BenchRecord, () => null);
  const bench: BenchRecord = {
    dataset: values.data,
    experimentFile: values.file,
    settings: settingsLine(base),
    backend: backend.choice,
    machine: `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}`,
    date: new Date().toISOString().slice(0, 10),
    prepareSeconds,
    frozenCacheSeconds: previous?.frozenCacheSeconds ?? 0,
    testLabels: [],
    // a run of the same settings already done is kept, so an interrupted benchmark resumes
    runs: previous && previous.settings === settingsLine(base) ? previous.runs : [],
  };
  // seed by seed, so an interrupted benchmark has every model at its first seeds
  for (const seed of seeds) {
    for (const variant of variants) {
      if (bench.runs.some((r) => r.variant === variant && r.seed === seed)) continue;
      const spec = variantSpec(base, variant, seed);
      const runDir = join(work, `${variant}-seed-${seed}`);
      await rm(runDir, { recursive: true, force: true });
      await mkdir(runDir, { recursive: true });
      await symlink(join(work, "prepared"), join(runDir, "prepared"));
      const started = performance.now();
      const { model, result } = await runTrainStage(spec, { workDir: runDir, env: { ...process.env, MEMEOPS_CACHE_DIR: process.env.MEMEOPS_CACHE_DIR ?? join(work, "cache") }, log: (line) => console.log(`  ${line}`), onEvent: progress(variant, seed, bench) });
      try {
        const { evaluation } = await runEvaluateStage(model, spec, { workDir: runDir });
        bench.testLabels = Array.from(evaluation.predictions.labels);
        bench.testClasses ??= await testClasses(join(work, "prepared"), evaluation.predictions.ids);
        bench.runs.push({
          variant, seed,
          seconds: (performance.now() - started) / 1000,
          epochsRun: result.history.length,
          bestEpoch: result.bestEpoch ?? null,
          valAuroc: result.history.map((m) => m.valAuroc),
          trainLoss: result.history.map((m) => m.trainLoss),
          testProbabilities: Array.from(evaluation.predictions.probabilities),
        });
        const r = bench.runs.at(-1)!;
        console.log(`${VARIANT_NAMES[variant]} seed ${seed}: test AUROC ${evaluation.results?.auroc.toFixed(4)}, ` +
          `best epoch ${r.bestEpoch}/${r.epochsRun}, ${r.seconds.toFixed(0)} s; val AUROC ${r.valAuroc.map((a) => a.toFixed(3)).join(" ")}`);
        await writeFile(runsPath, JSON.stringify(bench));
      } finally {
        model.dispose();
      }
    }
  }
  return bench;
}

/** One line per epoch (and for the frozen-layer cache), so a long benchmark shows where it is. */
function progress(variant: Variant, seed: number, bench: BenchRecord): (e: TrainEvent) => void {
  return (e) => {
    const tag = `  ${VARIANT_NAMES[variant]} seed ${seed}`;
    // computed, not read back from the disk cache
    if (e.type === "frozen_cache" && e.seconds > 1) bench.frozenCacheSeconds = (bench.frozenCacheSeconds ?? 0) + e.seconds;
    if (e.type === "frozen_cache") console.log(`${tag}: frozen layers computed for ${e.samples} samples in ${e.seconds.toFixed(1)} s`);
    if (e.type === "epoch") {
      console.log(`${tag}: epoch ${e.metrics.epoch} train loss ${e.metrics.trainLoss.toFixed(4)}, val AUROC ${e.metrics.valAuroc.toFixed(4)}` +
        `${e.improved ? " (best)" : ""}, ${e.seconds.toFixed(0)} s, ${e.samplesPerSecond.toFixed(1)} samples/s`);
    }
  };
}

function settingsLine(spec: MemeExperimentSpec): string {
  const { dataset: _dataset, ...rest } = spec;
  return JSON.stringify({ features: rest.features, model: rest.model, training: { ...rest.training, seed: undefined } });
}

async function writeReport(bench: BenchRecord): Promise<void> {
  if (bench.testLabels.length === 0) throw new Error(`${runsPath}: no finished run to report`);
  const summaries = summarise(bench);
  const ids = await testIds(join(work, "prepared"));
  if (ids.length !== bench.testLabels.length) throw new Error(`${join(work, "prepared")} has ${ids.length} test items, runs.json ${bench.testLabels.length}`);
  const repeated = await testItemsRepeatedFromTrain(join(work, "prepared"));
  const unseen = summarise(bench, (i) => !repeated.has(ids[i]!));
  const resultsPath = resolve(values.results);
  const pictureDir = join(resolve(values.results, ".."), "results");
  await mkdir(pictureDir, { recursive: true });
  const footnote = `${bench.testLabels.length} test memes; whiskers: 95% percentile bootstrap over test items (2000 resamples), paired across seeds`;
  const plot = await writePlot(pictureDir, "harmeme-test", barsSvg(summaries, footnote));
  const picture = relative(resolve(values.results, ".."), plot.png ?? plot.svg);
  const perClass = perClassTable(bench);
  const gain = fusionGainTable(bench);
  const lines = [
    "# Results on real memes: HarMeme",
    "",
    `Written by \`make bench-real\` (\`npx tsx bench/real-memes.ts --data PATH\`) on ${bench.date}: ${bench.machine}, ` +
      `backend ${bench.backend}, experiment \`${bench.experimentFile}\`. Computed once for every run: the prepare stage ` +
      `(decode, EfficientNet-Lite0 features, tokens) ${bench.prepareSeconds.toFixed(0)} s` +
      (bench.frozenCacheSeconds ? `; the frozen MiniLM layers ${bench.frozenCacheSeconds.toFixed(0)} s (in the first text-only run's time)` : "") +
      `. Seed means over the test split (${bench.testLabels.length} memes, ` +
      `${bench.testLabels.filter((y) => y === 1).length} harmful); the interval is the 2.5-97.5 percentile of 2000 bootstrap ` +
      "resamples of the test items, each scoring every seed (so it covers the test sample and the seeds); ±sd is the " +
      "spread of the per-seed values. Threshold 0.5 for accuracy and macro-F1.",
    "",
    markdownTable(summaries),
    "",
    `![HarMeme test results](${picture})`,
    "",
    ...(gain ? ["What fusion adds, paired over the same test memes and seeds (an interval above 0: the fused model is better beyond the noise):", "", gain, ""] : []),
    `The test split repeats ${repeated.size} train memes byte for byte under new ids (the prepare report's shared ` +
      `images; ${[...repeated].slice(0, 3).join(", ")}, ...). Without them (${ids.length - repeated.size} test memes):`,
    "",
    markdownTable(unseen),
    "",
    ...(perClass ? ["Per original harm level (HarMeme keeps three; the binary task merges somewhat and very harmful):", "", perClass, ""] : []),
    "## Published numbers on the same task",
    "",
    publishedTable(),
    "",
    "How the setups differ: the published baselines fine-tune BERT-base (110 M parameters) end to end, read 36 Faster " +
      "R-CNN region features per image, and ViLBERT CC starts from pretraining on Conceptual Captions; they are means " +
      "over 10 seeds on a GPU. Here the text encoder is all-MiniLM-L6-v2 (22.7 M), frozen, the image is EfficientNet-" +
      "Lite0's 7x7 grid (ImageNet), the co-attention layer, visual stream, poolers and head (about 1.3 M parameters) " +
      "start from random and train on HarMeme alone, on 2 CPU cores. The same test split (354 memes) is used.",
    "",
    "## Settings",
    "",
    "```json",
    bench.settings,
    "```",
    "",
  ];
  // the sweep's section (bench/real-memes-sweep.ts, written from its output) is not this benchmark's to rewrite
  const sweepSection = await readFile(resultsPath, "utf8").then((t) => (t.includes(SWEEP_SECTION) ? t.slice(t.indexOf(SWEEP_SECTION)) : ""), () => "");
  await writeFile(resultsPath, [...lines, ...(sweepSection ? [sweepSection] : [])].join("\n"));
  console.log(markdownTable(summaries));
  console.log(`wrote ${resultsPath} and ${plot.png ?? plot.svg}`);
}

const bench = values["report-only"] ? (JSON.parse(await readFile(runsPath, "utf8")) as BenchRecord) : await runAll();
await writeReport(bench);
