// `memeops weights inspect|convert`: published checkpoints (PyTorch zip or legacy, safetensors) and memeops ones.
import { readFile, stat } from "node:fs/promises";
import { type Command, parseFlags, UsageError, wantsHelp } from "../command.ts";
import { MODEL_SIZES, MODELS, POOLER_ACTIVATIONS } from "../../api/v1alpha1/spec.ts";
import { createModel } from "../../trainer-image/src/models/registry.ts";
import type { Model, ModelName, ModelSize } from "../../trainer-image/src/models/model.ts";
import { openCheckpoint } from "../../trainer-image/src/weights/open-checkpoint.ts";
import { sourceFamily } from "../../trainer-image/src/weights/layouts/index.ts";
import { loadInto, planFor } from "../../trainer-image/src/weights/load.ts";
import { loadProblems, reportLines, summaryLine } from "../../trainer-image/src/weights/load-plan.ts";
import { saveWeightsCheckpoint } from "../../trainer-image/src/weights/save.ts";
import { sha256File } from "../../trainer-image/src/models-io/file-hash.ts";
import type { CheckpointFile } from "../../trainer-image/src/weights/tensors.ts";

const help = `Usage:
  memeops weights inspect FILE [--model NAME] [--size SIZE] [MODEL OPTIONS]
  memeops weights convert IN OUT --model NAME --size SIZE [--allow-partial] [--seed S] [MODEL OPTIONS]

inspect prints every tensor of a checkpoint (name, dtype, shape) and where it lands in the model: mapped (to which
parameter, transposed or not), skipped on purpose (with the reason), unexpected, or of the wrong shape; then the
model parameters the checkpoint does not fill. It exits 1 when the load would be incomplete.

convert loads IN into the model and writes OUT, a memeops checkpoint directory (checkpoint.json +
model.safetensors), which model.initialWeights.uri loads without reading a pickle. It refuses an incomplete load
unless --allow-partial (the parameters left at their seeded initial values are listed in OUT/checkpoint.json).
OUT must not exist.

Files: PyTorch torch.save files (zip, or legacy pre-1.6 such as vilbert-multi-task's pretrained_model.bin and
bert-base-uncased's pytorch_model.bin), safetensors, memeops checkpoint directories. Pickles are read by a
restricted reader: anything but tensors and plain containers is refused, never executed.
Layouts (told by the tensor names and the model): Facebook ViLBERT -> vilbert_facebook; the community ViLBERT
(vil_prediction.logit_fc heads) -> vilbert_hf; bert-base-uncased (BertModel / BertForPreTraining) -> the text
stream of either. See docs/weights.md.

Model options:
  --model NAME          ${MODELS.join(" | ")} (inspect: vilbert_hf for files with vil_prediction heads, else vilbert_facebook)
  --size SIZE           ${MODEL_SIZES.join(" | ")} (default base: the published sizes)
  --config FILE.json    architecture hyperparameters overriding the size preset (as checkpoint.json's architecture.config)
  --pooler-activation A ${POOLER_ACTIVATIONS.join(" | ")}: the poolers' activation (default: the config's; presets: relu for
                        vilbert_facebook, tanh for vilbert_hf). The report says which one the model uses and warns
                        when the file's poolers were trained with the other
  --feature-size D      region feature size (default: read from bert.v_embeddings.image_embeddings, else 2048)
  --tokens T            tokens per text the checkpoint is recorded for (default 128; weights do not depend on it)
  --regions R           regions per image the checkpoint is recorded for (default 36; weights do not depend on it)`;

const oneOf = <T extends string>(flag: string, value: string, allowed: readonly T[]): T => {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}, got '${value}'`);
  return value as T;
};

const integer = (flag: string, value: string, min: number): number => {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`--${flag} must be an integer >= ${min}, got '${value}'`);
  return Number(value);
};
const positiveInt = (flag: string, value: string) => integer(flag, value, 1);

const MODEL_FLAGS = {
  model: { type: "string" },
  size: { type: "string" },
  config: { type: "string" },
  "pooler-activation": { type: "string" },
  "feature-size": { type: "string" },
  tokens: { type: "string", default: "128" },
  regions: { type: "string", default: "36" },
} as const;

type ModelFlags = { [K in keyof typeof MODEL_FLAGS]?: string };

function defaultModel(file: CheckpointFile): ModelName {
  if (file.architecture) return file.architecture.name;
  return [...file.tensors.keys()].some((n) => n.startsWith("vil_prediction.logit_fc.")) ? "vilbert_hf" : "vilbert_facebook";
}

async function buildModel(file: CheckpointFile, flags: ModelFlags, seed: number): Promise<Model> {
  const name = flags.model ? oneOf("model", flags.model, MODELS) : defaultModel(file);
  const size = oneOf("size", flags.size ?? file.architecture?.size ?? "base", MODEL_SIZES as readonly ModelSize[]);
  let config: unknown = file.architecture?.name === name ? file.architecture.config : undefined;
  if (flags.config) {
    const text = await readFile(flags.config, "utf8").catch((e: Error) => {
      throw new UsageError(`--config ${flags.config}: ${e.message}`);
    });
    try {
      config = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`--config ${flags.config}: not JSON (${(e as Error).message})`);
    }
  }
  const features = file.tensors.get("bert.v_embeddings.image_embeddings.weight")?.shape[1];
  const D = flags["feature-size"] ? positiveInt("feature-size", flags["feature-size"]) : file.architecture?.dims.D ?? features ?? 2048;
  const dims = { T: positiveInt("tokens", flags.tokens ?? "128"), R: positiveInt("regions", flags.regions ?? "36"), D };
  const poolerActivation = flags["pooler-activation"] ? oneOf("pooler-activation", flags["pooler-activation"], POOLER_ACTIVATIONS) : undefined;
  return createModel(name, size, dims, { seed, ...(config === undefined ? {} : { config }), ...(poolerActivation ? { poolerActivation } : {}) });
}

async function inspect(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, MODEL_FLAGS);
  if (positionals.length !== 1) throw new UsageError("expected one FILE");
  const file = await openCheckpoint(positionals[0]!);
  console.log(`${file.path}: ${file.format}, ${file.tensors.size} tensors, ${sourceFamily(file)} names`);
  const model = await buildModel(file, values, 0);
  try {
    const report = planFor(model, file);
    for (const line of reportLines(report)) console.log(line);
    return loadProblems(report).length > 0 ? 1 : 0;
  } finally {
    model.dispose();
  }
}

async function convert(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { ...MODEL_FLAGS, "allow-partial": { type: "boolean" }, seed: { type: "string", default: "0" } });
  if (positionals.length !== 2) throw new UsageError("expected IN and OUT");
  if (!values.model || !values.size) throw new UsageError("--model and --size are required");
  const [input, out] = positionals as [string, string];
  if (await stat(out).then(() => true, () => false)) throw new Error(`${out} already exists; choose a new directory`);
  const started = performance.now();
  const file = await openCheckpoint(input);
  const model = await buildModel(file, values, integer("seed", values.seed, 0));
  try {
    const report = loadInto(model, file, { allowPartial: values["allow-partial"] ?? false });
    const sha256 = (await stat(input)).isFile() ? await sha256File(input) : "";
    await saveWeightsCheckpoint(out, model, { file: input, sha256, layout: report.layout }, report);
    console.log(summaryLine(report));
    console.log(`wrote ${out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } finally {
    model.dispose();
  }
}

export const weightsCommand: Command = {
  name: "weights",
  summary: "inspect a pretrained checkpoint and how it maps to a model; convert it to a memeops checkpoint",
  help,
  async run(args) {
    if (wantsHelp(args)) return (console.log(help), 0);
    const [sub, ...rest] = args;
    if (sub === "inspect") return inspect(rest);
    if (sub === "convert") return convert(rest);
    throw new UsageError(sub ? `unknown subcommand '${sub}'` : "expected a subcommand: inspect or convert");
  },
};
