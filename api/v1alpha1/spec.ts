// The MemeExperiment spec: the single source of truth for the CLI, the trainer, the operator and the CRD.
// Defaults live here and nowhere else; `memeops crd` turns this file into the CRD's openAPIV3Schema.
import { z } from "zod";
import { exactlyOneOf, type CrossFieldRule } from "./rules.ts";
import { immutableAs, k8sName, quantity, secretKeyRef, str, uri, withRules } from "./schema-helpers.ts";

export const MODES = ["train", "evaluate", "predict"] as const;
export const EXTRACTORS = ["pixels", "resnet", "clip", "fasterrcnn", "fasterrcnn_vg", "efficientnet"] as const;
/** Extractors whose regions are a square grid of cells, so `regions` must be a perfect square. */
export const GRID_EXTRACTORS = ["pixels", "resnet", "clip", "efficientnet"] as const;
/** Grid extractors that pool a model's 7x7 map (224 px input): at most 49 regions, no invented cells. */
export const MAP_GRID_EXTRACTORS = ["resnet", "clip", "efficientnet"] as const;
export const MAP_SIDE = 7;
export const DETECTOR_EXTRACTORS = ["fasterrcnn", "fasterrcnn_vg"] as const;
export const MODELS = ["vilbert_facebook", "vilbert_hf"] as const;
/** minilm: a text stream of all-MiniLM-L6-v2's shape (6 layers, hidden 384), so a BERT-layout file of that shape loads into it. */
export const MODEL_SIZES = ["base", "small", "tiny", "minilm"] as const;
/** What a model classifies from: the text stream, the visual stream, or both joined by co-attention. */
export const MODALITIES = ["text", "image"] as const;
/** What the two poolers apply after their Dense: tanh (BERT's pooler) or ReLU (vilbert-multi-task's BertTextPooler/BertImagePooler). */
export const POOLER_ACTIVATIONS = ["tanh", "relu"] as const;
export const LOSSES = ["ce", "focal", "label_smoothing", "focal_smoothing"] as const;
export const EARLY_STOPPING_METRICS = ["val_auroc", "val_loss", "val_f1", "val_accuracy"] as const;
export const MAX_GRID_SIDE = 12;
export const SQUARES = Array.from({ length: MAX_GRID_SIDE }, (_, i) => (i + 1) * (i + 1));
export const MAX_REGIONS = 144;

// ---------------------------------------------------------------- dataset
const huggingfaceSource = z.strictObject({
  repo: str(200).default("neuralcatcher/hateful_memes").describe("dataset repository on the Hugging Face hub"),
  revision: str(100).default("main").describe("branch, tag or commit; pin a commit for repeatable runs"),
  endpoint: uri().default("https://huggingface.co").describe("hub endpoint (a mirror may be used)"),
  tokenSecret: secretKeyRef().optional().describe("Secret key holding an HF token (else HF_TOKEN)"),
});

const directorySource = z.strictObject({
  path: str(1024).describe("directory with the split files (train.jsonl, validation.jsonl, test.jsonl) and images, placed as dataset.layout says"),
});

const archiveSource = z.strictObject({
  url: uri().describe("tar.gz or zip image archive"),
  sha256: z.string().regex(/^[a-f0-9]{64}$/, "must be 64 lowercase hex digits").optional(),
  annotationsUrl: uri().optional().describe("where the jsonl split files are (default: inside the archive)"),
  fallbackUrl: uri().optional().describe("per-image fallback; `{file}` is replaced by the image's file name"),
});

const syntheticSource = z.strictObject({
  // Not `n`: YAML 1.1 readers (kubectl among them) take a bare `n` for the boolean false.
  count: z.int().min(16).max(1_000_000).default(512).describe("number of memes over all splits"),
  seed: z.int().min(0).max(2 ** 31 - 1).default(7),
  imageSize: z.int().min(16).max(512).default(64),
});

const datasetSource = withRules(
  z.strictObject({
    huggingface: huggingfaceSource.optional(),
    directory: directorySource.optional(),
    archive: archiveSource.optional(),
    synthetic: syntheticSource.optional(),
  }),
  [exactlyOneOf(["huggingface", "directory", "archive", "synthetic"], "source")],
);

const splits = z.strictObject({
  train: str(63).default("train"),
  validation: str(63).default("validation"),
  test: str(63).default("test"),
});

const textOptions = z.strictObject({
  lowercase: z.boolean().default(true),
  maxChars: z.int().min(1).max(10_000).default(512).describe("text is cut to this many characters after cleanup"),
});

const captions = withRules(
  z.strictObject({
    enabled: z.boolean().default(false),
    model: uri().optional().describe("BLIP captioner location (directory or archive of ONNX files)"),
    maxTokens: z.int().min(1).max(128).default(30),
  }),
  [
    {
      cel: "!self.enabled || has(self.model)",
      holds: (s: { enabled: boolean; model?: string }) => !s.enabled || s.model !== undefined,
      message: "captions.model is required when captions are enabled",
      field: ".model",
    },
  ],
);

/** A path inside the dataset: relative, `/`-separated, no segment starting with a dot (so no `..`). */
const datasetRelativePath = () =>
  str(1024).regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/, "must be a relative path inside the dataset (no leading /, no ..)");

/** Where a value sits in a jsonl row: a field name, then `.name` or `[index]` steps (`labels[0]`, `meta.caption`). */
const jsonFieldPath = () =>
  str(200).regex(/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*|\[[0-9]+\])*$/, "must be a field path such as label, labels[0] or meta.label");

const layoutFields = z.strictObject({
  id: jsonFieldPath().default("id").describe("the meme's id (a number or a string)"),
  image: jsonFieldPath().default("img").describe("the image's path, relative to images"),
  text: jsonFieldPath().default("text").describe("the meme's text (its OCR)"),
  label: jsonFieldPath().default("label").describe("the label: 0/1, or a class that labels maps; absent means unlabelled"),
});

export const datasetLayout = z.strictObject({
  annotations: datasetRelativePath().optional().describe("folder of the split files (NAME.jsonl), relative to the dataset root; default: the root"),
  images: datasetRelativePath().optional().describe("folder the rows' image paths are relative to; default: the root (Hateful Memes rows say img/01235.png)"),
  fields: layoutFields.describe("which jsonl fields hold the id, image, text and label").prefault({}),
  labels: z
    .record(str(200), z.int().min(0).max(1))
    .optional()
    .describe(
      "class -> binary label (e.g. \"somewhat harmful\": 1); when set, every labelled row's class must be a key (else an " +
        "error naming file, line and field), and the class is kept for per-class test figures; default: labels are 0 or 1",
    ),
});

const storage = z.strictObject({
  volumeClaim: k8sName().optional().describe("PersistentVolumeClaim for data, feature cache and checkpoints"),
  path: str(1024).default("/var/lib/memeops").describe("where data and caches live (inside the claim, if one is named)"),
});

export const datasetSpec = z.strictObject({
  source: datasetSource.describe("exactly one of huggingface, directory, archive, synthetic"),
  splits: splits.describe("split names in the source").prefault({}),
  text: textOptions.describe("text cleanup applied before tokenizing").prefault({}),
  captions: captions.describe("caption enrichment: BLIP captions joined to the text after [SEP]").prefault({}),
  storage: storage.describe("where data, feature cache and checkpoints live").prefault({}),
  layout: datasetLayout.describe("where split files and images are inside the source, which jsonl fields hold what, and how classes map to labels; default: the Hateful Memes layout").prefault({}),
  maxDroppedFraction: z.number().min(0).max(1).default(0.05).describe(
    "stop the run when a split loses more than this fraction of its rows (missing or broken images, bad rows): a wrong image folder must not train on what is left",
  ),
});

// ---------------------------------------------------------------- features
const detector = z.strictObject({
  scoreThreshold: z.number().min(0).max(1).default(0.2),
  nmsThreshold: z.number().gt(0).max(1).default(0.3),
});

const extractorIn = (names: readonly string[]) => `self.extractor in [${names.map((n) => `'${n}'`).join(", ")}]`;

const featureRules: CrossFieldRule[] = [
  {
    cel: `!(${extractorIn(GRID_EXTRACTORS)}) || self.regions in [${SQUARES.join(", ")}]`,
    holds: (s: { extractor: string; regions: number }) =>
      !(GRID_EXTRACTORS as readonly string[]).includes(s.extractor) || SQUARES.includes(s.regions),
    message: `regions must be a perfect square (a grid) for the ${GRID_EXTRACTORS.join(", ")} extractors`,
    field: ".regions",
  },
  {
    cel: `!(${extractorIn(MAP_GRID_EXTRACTORS)}) || self.regions <= ${MAP_SIDE * MAP_SIDE}`,
    holds: (s: { extractor: string; regions: number }) =>
      !(MAP_GRID_EXTRACTORS as readonly string[]).includes(s.extractor) || s.regions <= MAP_SIDE * MAP_SIDE,
    message: `regions must be at most ${MAP_SIDE * MAP_SIDE} (the ${MAP_SIDE}x${MAP_SIDE} map) for the ${MAP_GRID_EXTRACTORS.join(", ")} extractors`,
    field: ".regions",
  },
  {
    cel: `!has(self.detector) || ${extractorIn(DETECTOR_EXTRACTORS)}`,
    holds: (s: { extractor: string; detector?: unknown }) =>
      s.detector === undefined || (DETECTOR_EXTRACTORS as readonly string[]).includes(s.extractor),
    message: `detector settings apply only to the ${DETECTOR_EXTRACTORS.join(", ")} extractors`,
    field: ".detector",
  },
];

export const featuresSpec = withRules(
  z.strictObject({
    extractor: z.enum(EXTRACTORS).default("resnet").describe("pixels needs no weights (CPU quickstart); the others run an ONNX model"),
    regions: z.int().min(1).max(MAX_REGIONS).default(36).describe("visual regions per image"),
    model: uri().optional().describe("extractor weights (ONNX); default: the trainer image's model directory"),
    detector: detector.optional().describe("Faster R-CNN thresholds (fasterrcnn, fasterrcnn_vg only)"),
  }),
  featureRules,
);

// ---------------------------------------------------------------- model
const initialWeights = withRules(
  z.strictObject({
    uri: uri().optional().describe("checkpoint: https://, hf://, file path or mounted volume"),
    fromExperiment: k8sName().optional().describe("reuse the best checkpoint of another MemeExperiment of this namespace once it has succeeded"),
    sha256: z.string().regex(/^[a-f0-9]{64}$/, "must be 64 lowercase hex digits").optional(),
    tokenSecret: secretKeyRef().optional(),
    allowPartial: z.boolean().default(false).describe("start even when some tensors are missing (they stay random)"),
  }),
  [exactlyOneOf(["uri", "fromExperiment"], "initialWeights")],
);

const modelRules: CrossFieldRule[] = [
  {
    cel: "self.modalities.size() < 2 || self.modalities[0] != self.modalities[1]",
    holds: (s: { modalities: string[] }) => new Set(s.modalities).size === s.modalities.length,
    message: "modalities lists each of text and image at most once",
    field: ".modalities",
  },
];

export const modelSpec = withRules(
  z.strictObject({
    name: z.enum(MODELS).default("vilbert_facebook").describe("architecture, from the model registry"),
    size: z.enum(MODEL_SIZES).default("base").describe(
      "base as published; small and tiny for CPUs; minilm: the text stream of all-MiniLM-L6-v2 (6 layers, hidden 384, " +
        "12 heads, FFN 1536; co-attention on its last 2 layers) with a CPU-sized visual stream",
    ),
    modalities: z.array(z.enum(MODALITIES)).min(1).max(2).default(["text", "image"]).describe(
      "[text, image]: the two streams joined by co-attention; [text]: the text stream alone (no visual input, no " +
        "co-attention), classified from its pooled [CLS]; [image]: the visual stream alone, from its pooled whole-image region",
    ),
    initialWeights: initialWeights.optional().describe(
      "start from a checkpoint instead of random weights; a BERT-layout file (bert-base-uncased, all-MiniLM-L6-v2) " +
        "fills the text stream of a size of its shape and leaves the rest to its initialisation, named in weights-report.json",
    ),
    poolerActivation: z.enum(POOLER_ACTIVATIONS).optional().describe(
      "train: the poolers' activation; default per architecture: relu for vilbert_facebook (as Facebook's published " +
        "weights were trained), tanh for vilbert_hf. Evaluate and predict use the activation their checkpoint records",
    ),
  }),
  modelRules,
);

// ---------------------------------------------------------------- training
const loss = z.strictObject({
  type: z.enum(LOSSES).default("ce"),
  alpha: z.number().min(0).max(1).default(0.35).describe("focal: weight of the positive class"),
  gamma: z.number().min(0).max(10).default(2),
  smoothing: z.number().min(0).lt(1).default(0.1).describe("label smoothing amount"),
});

const earlyStopping = z.strictObject({
  patience: z.int().min(1).max(1000).default(5),
  metric: z.enum(EARLY_STOPPING_METRICS).default("val_auroc"),
});

const freeze = z.strictObject({
  textLayers: z.int().min(0).max(48).optional().describe(
    "hold the text embeddings and the first N text layers fixed (0: the embeddings only); their outputs are computed " +
      "once per sample (no dropout) and cached, so an epoch costs only the rest. N may not pass the first co-attention layer",
  ),
  visualLayers: z.int().min(0).max(48).optional().describe(
    "the same for the visual stream: its embeddings and first N visual layers",
  ),
});

export const trainingSpec = z.strictObject({
  epochs: z.int().min(1).max(10_000).default(20).describe("at most this many passes over the train split"),
  batchSize: z.int().min(1).max(4096).default(32),
  learningRate: z.number().gt(0).max(1).default(5e-5),
  weightDecay: z.number().min(0).max(1).default(0.01),
  warmupSteps: z.int().min(0).max(10_000_000).default(2000).describe("linear warmup, then linear decay to 0"),
  gradientClip: z.number().gt(0).max(1000).default(1).describe("global gradient-norm clip"),
  loss: loss.describe("ce, focal (alpha_t = alpha*y + (1-alpha)(1-y)), label_smoothing or focal_smoothing").prefault({}),
  earlyStopping: earlyStopping.describe("stop after `patience` epochs without improvement, or once the best value is the metric's bound (AUROC 1); the best epoch is kept").prefault({}),
  seed: z.int().min(0).max(2 ** 31 - 1).default(42).describe("same seed and data, same metrics"),
  maxSequenceLength: z.int().min(8).max(512).default(128).describe("tokens per text, [CLS] and [SEP] included"),
  freeze: freeze.describe("partial fine-tuning: parts of the streams that do not train (absent: everything trains)").prefault({}),
});

// ---------------------------------------------------------------- checks
export const checksSpec = z.strictObject({
  enforce: z.boolean().default(true).describe("a failed check fails the experiment"),
  minAuroc: z.number().min(0).max(1).default(0.5).describe("better_than_random: AUROC must exceed this"),
  minPredictions: z.int().min(1).max(10_000_000).default(1).describe("prediction_count: at least this many"),
  minClasses: z.int().min(1).max(2).default(2).describe("class_distribution: distinct predicted classes"),
});

// ---------------------------------------------------------------- tracking
export const trackingSpec = z.strictObject({
  uri: uri().optional().describe("MLflow tracking URI; default: the operator's, or a local store for `memeops run`"),
  experimentName: str(200).optional().describe("MLflow experiment; default: the namespace, else `memeops` (`memeops run` of a file without metadata.namespace)"),
  credentialsSecret: z
    .strictObject({ name: k8sName() })
    .optional()
    .describe("Secret with MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD"),
});

// ---------------------------------------------------------------- resources and scheduling
/**
 * A Kubernetes extended resource name, as the API server checks one in a container's resources: DOMAIN/NAME, the
 * domain a DNS subdomain outside kubernetes.io (Kubernetes' own resources), NAME a qualified name of at most 63
 * characters. Also validates the operator's --gpu-resource-name.
 */
export const extendedResourceName = () =>
  withRules(
    str(253).regex(
      /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
      "must be an extended resource name such as nvidia.com/gpu or amd.com/gpu (DOMAIN/NAME)",
    ),
    [
      {
        cel: "!self.contains('kubernetes.io/')",
        holds: (name: string) => !name.includes("kubernetes.io/"),
        message: "must not be in the kubernetes.io domain, which is Kubernetes' own",
      },
    ],
  );

export const resourcesSpec = z.strictObject({
  gpus: z.int().min(0).max(64).default(1),
  // No default here: unset means the operator's --gpu-resource-name, so one cluster-wide setting can change it.
  gpuResourceName: extendedResourceName().optional().describe("extended resource the GPUs are requested as, DOMAIN/NAME (e.g. amd.com/gpu); default: the operator's --gpu-resource-name, nvidia.com/gpu unless set"),
  cpu: quantity().default("4"),
  memory: quantity().default("16Gi"),
});

const toleration = z.strictObject({
  key: str(316).optional(),
  operator: z.enum(["Exists", "Equal"]).optional(),
  value: z.string().max(63).optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
  tolerationSeconds: z.int().min(0).optional(),
});

export const schedulingSpec = z.strictObject({
  nodeSelector: z.record(z.string().max(316), z.string().max(63)).optional(),
  tolerations: z.array(toleration).max(32).optional(),
  priorityClassName: k8sName().optional(),
  queueName: k8sName().optional().describe("Kueue LocalQueue: sets the kueue.x-k8s.io/queue-name label"),
});

export const runtimeSpec = z.strictObject({
  image: str(512).optional().describe("trainer image; default: the operator's"),
  serviceAccountName: k8sName().optional(),
  backoffLimit: z.int().min(0).max(100).default(0),
  activeDeadlineSeconds: z.int().min(1).optional(),
  ttlSecondsAfterFinished: z.int().min(0).optional(),
});

// ---------------------------------------------------------------- the spec
const modeRules: CrossFieldRule[] = [
  {
    cel: "self.mode == 'train' || has(self.model.initialWeights)",
    holds: (s: { mode: string; model: { initialWeights?: unknown } }) =>
      s.mode === "train" || s.model.initialWeights !== undefined,
    message: "model.initialWeights is required to evaluate or predict: a random model has nothing to say",
    field: ".model",
  },
  {
    cel: "!has(self.training.freeze.textLayers) || 'text' in self.model.modalities",
    holds: (s: { model: { modalities: string[] }; training: { freeze: { textLayers?: number } } }) =>
      s.training.freeze.textLayers === undefined || s.model.modalities.includes("text"),
    message: "training.freeze.textLayers needs a text stream: model.modalities has no text",
    field: ".training.freeze.textLayers",
  },
  {
    cel: "!has(self.training.freeze.visualLayers) || 'image' in self.model.modalities",
    holds: (s: { model: { modalities: string[] }; training: { freeze: { visualLayers?: number } } }) =>
      s.training.freeze.visualLayers === undefined || s.model.modalities.includes("image"),
    message: "training.freeze.visualLayers needs a visual stream: model.modalities has no image",
    field: ".training.freeze.visualLayers",
  },
];

export const memeExperimentSpec = withRules(
  z.strictObject({
    mode: immutableAs(z.enum(MODES).default("train").describe("train a model, evaluate weights on the test split, or predict"), "spec.mode"),
    dataset: immutableAs(datasetSpec.describe("where the memes come from and how they are cleaned"), "spec.dataset"),
    features: immutableAs(featuresSpec.describe("visual region features"), "spec.features").prefault({}),
    model: immutableAs(modelSpec.describe("the classifier and its starting weights"), "spec.model").prefault({}),
    training: immutableAs(trainingSpec.describe("optimiser, schedule, loss and early stopping"), "spec.training").prefault({}),
    checks: checksSpec.describe("thresholds of the seven prediction checks").prefault({}),
    tracking: trackingSpec.describe("MLflow tracking").prefault({}),
    resources: resourcesSpec.describe("what each Job asks for").prefault({}),
    scheduling: schedulingSpec.describe("where the Jobs may run").prefault({}),
    runtime: runtimeSpec.describe("the Jobs' image, identity, retries and lifetime").prefault({}),
    suspend: z.boolean().default(false).describe("create no Job (or pause one) until set to false"),
  }),
  modeRules,
);

export type MemeExperimentSpecInput = z.input<typeof memeExperimentSpec>;
export type MemeExperimentSpec = z.output<typeof memeExperimentSpec>;
export type DatasetSpec = MemeExperimentSpec["dataset"];
export type DatasetLayout = DatasetSpec["layout"];
export type FeaturesSpec = MemeExperimentSpec["features"];
export type ModelSpec = MemeExperimentSpec["model"];
export type TrainingSpec = MemeExperimentSpec["training"];
export type ChecksSpec = MemeExperimentSpec["checks"];
export type TrackingSpec = MemeExperimentSpec["tracking"];
export type ResourcesSpec = MemeExperimentSpec["resources"];
export type SchedulingSpec = MemeExperimentSpec["scheduling"];
export type RuntimeSpec = MemeExperimentSpec["runtime"];
