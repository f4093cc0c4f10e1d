// fast-check generators of MemeExperiment specs near the boundary between valid and invalid: each field mostly
// draws a good value and now and then an edge or wrong one, so both verdicts are common and every rule is exercised.
import fc from "fast-check";

/** Mostly one of the good values, now and then one of the bad ones. */
export const field = <T, U = T>(good: T[], bad: U[]): fc.Arbitrary<T | U> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...good) as fc.Arbitrary<T | U>, weight: 40 },
    { arbitrary: fc.constantFrom(...bad) as fc.Arbitrary<T | U>, weight: 1 },
  );
/** An object whose keys are each present or absent. */
export const someOf = (fields: Record<string, fc.Arbitrary<unknown>>) => fc.record(fields, { requiredKeys: [] });
export const withUnknown = (arb: fc.Arbitrary<Record<string, unknown>>) =>
  fc.tuple(arb, rarely({ colour: "red" })).map(([o, extra]) => ({ ...o, ...extra }));
/** An occasional extra: usually an empty object to spread. */
const rarely = (extra: Record<string, unknown>) =>
  fc.oneof({ arbitrary: fc.constant({}), weight: 60 }, { arbitrary: fc.constant(extra), weight: 1 });
/** Usually exactly one of the variants, sometimes none or two. */
export const oneOfKeys = (variants: Record<string, fc.Arbitrary<unknown>>) =>
  fc.oneof(
    { arbitrary: fc.oneof(...Object.entries(variants).map(([k, a]) => a.map((v) => ({ [k]: v })))), weight: 30 },
    { arbitrary: someOf(variants), weight: 1 },
  );

const uri = field(["https://example.com/w.bin", "/models/x.onnx", "file:///m", "hf://a/b"], ["relative/path", ""]);
const secretRef = fc.record({ name: field(["hf-token"], ["Bad_Name"]), key: field(["token"], [""]) });

const source = oneOfKeys({
  huggingface: someOf({ repo: field(["neuralcatcher/hateful_memes"], [""]), revision: field(["main", "abc123"], [""]), tokenSecret: secretRef }),
  directory: fc.record({ path: field(["/data/memes"], [""]) }, { requiredKeys: [] }),
  archive: someOf({ url: uri, sha256: field(["a".repeat(64)], ["nothex"]), fallbackUrl: uri }),
  synthetic: someOf({ count: field([16, 512], [15, 2_000_000]), seed: field([0, 7], [-1]), imageSize: field([16, 64], [8, 513]) }),
});

const dataset = withUnknown(
  fc.record(
    {
      source,
      splits: someOf({ train: field(["train"], [""]), validation: field(["dev", "validation"], [""]), test: field(["test"], [""]) }),
      text: someOf({ lowercase: field([true, false], ["yes"]), maxChars: field([1, 512], [0]) }),
      captions: someOf({ enabled: field([false, true], ["on"]), model: uri, maxTokens: field([30], [0, 129]) }),
      storage: someOf({ volumeClaim: field(["memeops-data"], ["UPPER"]), path: field(["/var/lib/memeops"], [""]) }),
      layout: someOf({
        annotations: field(["annotations", "data/splits"], ["/abs", "../up", "a/../b", ""]),
        images: field(["images", "img_v2"], ["/abs", ".hidden", ""]),
        fields: someOf({ id: field(["id"], ["1x"]), image: field(["image", "img"], [""]), text: field(["text", "meta.ocr"], ["a..b"]), label: field(["label", "labels[0]"], ["labels[x]", "labels[0"]) }),
        labels: field<Record<string, unknown>>([{ "not harmful": 0, "somewhat harmful": 1, "very harmful": 1 }, {}], [{ harmful: 2 }, { x: "1" }]),
      }),
      maxDroppedFraction: field([0, 0.05, 1], [-0.1, 1.5]),
    },
    { requiredKeys: ["source"] },
  ),
);

const features = withUnknown(
  someOf({
    extractor: field(["pixels", "resnet", "clip", "fasterrcnn", "fasterrcnn_vg", "efficientnet"], ["vgg"]),
    regions: field([1, 9, 16, 30, 36, 49, 100, 144], [0, 145, 2.5]),
    model: uri,
  }),
).chain((f) =>
  // detector settings usually come with a detector extractor, now and then with another (a contradiction)
  fc
    .oneof(
      { arbitrary: fc.constant(undefined), weight: String(f.extractor).startsWith("fasterrcnn") ? 1 : 20 },
      { arbitrary: someOf({ scoreThreshold: field([0, 0.2, 1], [1.5]), nmsThreshold: field([0.3, 1], [0]) }), weight: 2 },
    )
    .map((detector) => (detector === undefined ? f : { ...f, detector })),
);

const model = withUnknown(
  someOf({
    name: field(["vilbert_facebook", "vilbert_hf"], ["bert"]),
    size: field(["base", "small", "tiny", "minilm"], ["huge"]),
    modalities: field([["text", "image"], ["text"], ["image"], ["image", "text"]], [[], ["text", "text"], ["audio"], ["text", "image", "text"]]),
    poolerActivation: field(["tanh", "relu"], ["sigmoid"]),
    initialWeights: fc.tuple(
      oneOfKeys({ uri, fromExperiment: field(["train-a"], ["Not_A_Name"]) }),
      someOf({ allowPartial: field([true, false], [1]) }),
    ).map(([ref, rest]) => ({ ...ref, ...rest })),
  }),
);

const training = withUnknown(
  someOf({
    epochs: field([1, 20], [0, 10_001, 2.5]),
    batchSize: field([1, 32], ["32", 0]),
    learningRate: field([5e-5, 1], [-1, 0, 1.5]),
    weightDecay: field([0, 0.01], [-0.1]),
    warmupSteps: field([0, 2000], [-1]),
    gradientClip: field([1, 1000], [0, 1000.5]),
    loss: someOf({
      type: field(["ce", "focal", "label_smoothing", "focal_smoothing"], ["mse"]),
      alpha: field([0, 0.35, 1], [1.2]),
      gamma: field([0, 2], [11]),
      smoothing: field([0, 0.1], [1]),
    }),
    earlyStopping: someOf({ patience: field([1, 5], [0]), metric: field(["val_auroc", "val_loss"], ["train_loss"]) }),
    seed: field([0, 42], [-5]),
    maxSequenceLength: field([8, 128, 512], [7, 513]),
    freeze: someOf({ textLayers: field([0, 4, 48], [-1, 49, 1.5]), visualLayers: field([0, 2], [-1]) }),
  }),
);

const resources = someOf({
  gpus: field([0, 1], [65, -1]),
  gpuResourceName: field(["nvidia.com/gpu", "amd.com/gpu"], ["", "gpu", "kubernetes.io/gpu"]),
  cpu: field(["4", 4, "500m"], ["lots", 0.5, -1]),
  memory: field(["16Gi", "1.5Gi"], ["16 GB"]),
});

const scheduling = someOf({
  nodeSelector: field<Record<string, unknown>>([{ "nvidia.com/gpu.product": "A100" }, {}], [{ k: 1 }]),
  tolerations: field([[{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }], []], [[{ operator: "Maybe" }]]),
  priorityClassName: field(["high"], ["High"]),
  queueName: field(["gpu-queue"], ["q_1"]),
});

const runtime = someOf({
  image: field(["ghcr.io/memeops/trainer:0.1.0"], [""]),
  backoffLimit: field([0, 3], [101]),
  activeDeadlineSeconds: field([3600], [0]),
  ttlSecondsAfterFinished: field([0], [-1]),
});

export const specArbitrary = withUnknown(
  fc.record(
    {
      mode: field(["train", "evaluate", "predict"], ["serve"]),
      dataset,
      features,
      model,
      training,
      checks: someOf({ enforce: field([true, false], ["x"]), minAuroc: field([0.5], [1.1]), minClasses: field([1, 2], [3]) }),
      tracking: someOf({ uri, experimentName: field(["memes"], [""]), credentialsSecret: fc.constant({ name: "mlflow" }) }),
      resources,
      scheduling,
      runtime,
      suspend: field([true, false], ["no"]),
    },
    { requiredKeys: ["dataset"] },
  ),
);
