// STAND-IN until branch sweep-core's MemeSweep API (api/v1alpha1/memesweep.ts) is merged: a minimal zod schema shaped
// exactly as the shared design's MemeSweep (its output type is what `memeops sweep run` reads), and a loader that
// names every problem by file and field. Replace with the API's schema and loader on merge.
import { readFile } from "node:fs/promises";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import { formatPath } from "../../api/v1alpha1/parse.ts";
import { memeExperimentSpec } from "../../api/v1alpha1/spec.ts";

const scalar = () => z.union([z.string(), z.number(), z.boolean()]);
const range = (min: z.ZodNumber = z.number()) => z.strictObject({ min, max: z.number() }).refine((r) => r.min < r.max, { message: "min must be below max", path: ["min"] });
const oneOf = (keys: string[], what: string) => (o: Record<string, unknown>) => keys.filter((k) => o[k] !== undefined).length === 1 || { message: `set exactly one of ${keys.map((k) => `${what}.${k}`).join(", ")}` };
const exactlyOne = <T extends z.ZodObject>(schema: T, keys: string[], what: string) =>
  schema.superRefine((o, ctx) => {
    const r = oneOf(keys, what)(o as Record<string, unknown>);
    if (r !== true) ctx.addIssue({ code: "custom", message: r.message });
  });
const seed = () => z.int().min(0).max(2 ** 31 - 1).default(0);

const parameter = exactlyOne(
  z.strictObject({
    path: z.string().min(1).max(200),
    categorical: z.strictObject({ values: z.array(scalar()).min(1).max(100) }).optional(),
    uniform: range().optional(),
    logUniform: range(z.number().gt(0)).optional(),
    int: z.strictObject({ min: z.int(), max: z.int(), step: z.int().min(1).default(1) }).refine((r) => r.min < r.max, { message: "min must be below max", path: ["min"] }).optional(),
  }),
  ["categorical", "uniform", "logUniform", "int"],
  "parameter",
);

export const memeSweepStandIn = z.strictObject({
  apiVersion: z.literal("memeops.io/v1alpha1"),
  kind: z.literal("MemeSweep"),
  metadata: z.looseObject({ name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label").max(57), namespace: z.string().optional() }),
  spec: z.strictObject({
    trialTemplate: z.strictObject({
      metadata: z.strictObject({ labels: z.record(z.string(), z.string()).optional(), annotations: z.record(z.string(), z.string()).optional() }).optional(),
      spec: memeExperimentSpec,
    }),
    parameters: z.array(parameter).min(1).max(20),
    objective: z.strictObject({
      metric: z.enum(["val_auroc", "val_loss", "val_f1", "val_accuracy"]).default("val_auroc"),
      direction: z.enum(["maximize", "minimize"]).optional(),
      goal: z.number().optional(),
    }).prefault({}),
    algorithm: exactlyOne(
      z.strictObject({
        grid: z.strictObject({ pointsPerDimension: z.int().min(2).max(100).default(3) }).optional(),
        random: z.strictObject({ seed: seed() }).optional(),
        tpe: z.strictObject({ seed: seed(), startupTrials: z.int().min(1).max(100).default(5), candidates: z.int().min(1).max(1000).default(24), gamma: z.number().gt(0).lt(1).default(0.25) }).optional(),
      }),
      ["grid", "random", "tpe"],
      "algorithm",
    ),
    budget: z.strictObject({
      maxTrials: z.int().min(1).max(500).default(10),
      parallelism: z.int().min(1).max(100).default(1),
      maxFailedTrials: z.int().min(0).max(500).default(3),
      maxDuration: z.string().regex(/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/, "must be a duration such as 90m, 6h or 1h30m").optional(),
    }).prefault({}),
    earlyStopping: z.strictObject({
      median: z.strictObject({ warmupEpochs: z.int().min(0).default(2), minTrials: z.int().min(1).default(3) }).optional(),
      asha: z.strictObject({ minEpochs: z.int().min(1).default(1), reductionFactor: z.int().min(2).default(3) }).optional(),
    }).refine((e) => e.median === undefined || e.asha === undefined, { message: "set at most one of earlyStopping.median, earlyStopping.asha" }).optional(),
    suspend: z.boolean().default(false),
  }),
});

export type MemeSweep = z.output<typeof memeSweepStandIn>;

/** The objective's direction: as given, else minimize for a loss and maximize for the rest. */
export const objectiveDirection = (o: MemeSweep["spec"]["objective"]) => o.direction ?? (o.metric === "val_loss" ? "minimize" : "maximize");

/** Exactly one valid MemeSweep from one file, or an Error naming every problem as `FILE: field: problem`. */
export async function loadOneSweep(file: string): Promise<MemeSweep> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new Error(`${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(err)}`);
  }
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const nonEmpty = Array.isArray(docs) ? docs.filter((d) => d.contents !== null || d.errors.length > 0) : [];
  if (nonEmpty.length !== 1) throw new Error(`${file}: expected exactly one MemeSweep document, found ${nonEmpty.length}`);
  const doc = nonEmpty[0]!;
  if (doc.errors.length) throw new Error(doc.errors.map((e) => `${file}: (yaml): ${e.message.split("\n")[0]}`).join("\n"));
  const result = memeSweepStandIn.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (!result.success) throw new Error(result.error.issues.map((i) => `${file}: ${formatPath(i.path)}: ${i.message}`).join("\n"));
  return result.data;
}
