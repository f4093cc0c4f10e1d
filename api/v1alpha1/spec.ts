// The MemeExperiment spec: the single source of truth for the CLI, the trainer, the operator and the CRD.
// Defaults live here and nowhere else; `memeops crd` turns this file into the CRD's openAPIV3Schema.
import { z } from "zod";
import { exactlyOneOf, type CrossFieldRule } from "./rules.ts";
import { immutableAs, k8sName, quantity, secretKeyRef, str, uri, withRules } from "./schema-helpers.ts";

export const MODES = ["train", "evaluate", "predict"] as const;
export const EXTRACTORS = ["pixels", "resnet", "clip", "fasterrcnn", "fasterrcnn_vg"] as const;
/** Extractors whose regions are a square grid of cells, so `regions` must be a perfect square. */
export const GRID_EXTRACTORS = ["pixels", "resnet", "clip"] as const;
export const DETECTOR_EXTRACTORS = ["fasterrcnn", "fasterrcnn_vg"] as const;
export const MODELS = ["vilbert_facebook", "vilbert_hf"] as const;
export const MODEL_SIZES = ["base", "small", "tiny"] as const;
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
  path: str(1024).describe("directory with train.jsonl, validation.jsonl, test.jsonl and img/"),
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

export const modelSpec = z.strictObject({
  name: z.enum(MODELS).default("vilbert_facebook").describe("architecture, from the model registry"),
  size: z.enum(MODEL_SIZES).default("base").describe("base as published; small and tiny for CPUs"),
  initialWeights: initialWeights.optional().describe("start from a checkpoint instead of random weights"),
  poolerActivation: z.enum(POOLER_ACTIVATIONS).optional().describe(
    "train: the poolers' activation; default per architecture: relu for vilbert_facebook (as Facebook's published " +
      "weights were trained), tanh for vilbert_hf. Evaluate and predict use the activation their checkpoint records",
  ),
});

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
  experimentName: str(200).optional().describe("MLflow experiment; default: the namespace"),
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
export type FeaturesSpec = MemeExperimentSpec["features"];
export type ModelSpec = MemeExperimentSpec["model"];
export type TrainingSpec = MemeExperimentSpec["training"];
export type ChecksSpec = MemeExperimentSpec["checks"];
export type TrackingSpec = MemeExperimentSpec["tracking"];
export type ResourcesSpec = MemeExperimentSpec["resources"];
export type SchedulingSpec = MemeExperimentSpec["scheduling"];
export type RuntimeSpec = MemeExperimentSpec["runtime"];
