// An onnxruntime session opened with explicit, deterministic settings and checked against the interface an
// extractor expects: inputs and outputs are looked up by role, each role accepting the names real exports use.
import { availableParallelism } from "node:os";
import { stat } from "node:fs/promises";
import * as ort from "onnxruntime-node";

/** role -> accepted tensor names, in order of preference. */
export type NameChoices = Record<string, readonly string[]>;

export interface OnnxInterface {
  inputs: NameChoices;
  outputs: NameChoices;
  /** Output roles that may be absent from the graph. */
  optionalOutputs?: NameChoices;
  /**
   * Tensors repeated once per layer (a decoder's KV cache): role -> name with `{layer}` for 0, 1, ...; the layer
   * count is how many consecutive layers the graph has the first per-layer input (else output) for, and every role
   * must exist for each. Roles are addressed as `role.layer` (`pastKey.0`).
   */
  perLayer?: { inputs?: Record<string, string>; outputs?: Record<string, string> };
}

/**
 * Intra-op threads: MEMEOPS_ORT_THREADS, else min(4, cores). Fixed per process so a given image always goes
 * through the same kernels and the same work split.
 */
export function intraOpThreads(): number {
  const fromEnv = Number(process.env.MEMEOPS_ORT_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.min(4, availableParallelism());
}

/**
 * The session settings every extractor and the captioner use (and the benchmark's raw baseline).
 * Spinning is off: idle intra-op threads would otherwise busy-wait between runs and take the cores that sharp
 * needs to decode the next batch (MEMEOPS_ORT_SPIN=1 turns it back on for a machine with cores to spare).
 */
export function sessionOptions(): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: intraOpThreads(),
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    logSeverityLevel: 3, // errors only: graph-cleanup warnings of real exports are noise in the trainer's log
    extra: { session: { intra_op: { allow_spinning: process.env.MEMEOPS_ORT_SPIN === "1" ? "1" : "0" } } },
  };
}

export class OnnxModel {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly session: ort.InferenceSession,
    private readonly inputNames: Record<string, string>,
    private readonly outputNames: Record<string, string | undefined>,
    /** Layers of the per-layer tensors (0 without any). */
    readonly layers: number,
  ) {}

  static async open(path: string, expected: OnnxInterface): Promise<OnnxModel> {
    if (!(await stat(path).catch(() => undefined))?.isFile()) throw new Error(`model file not found: ${path}`);
    const session = await ort.InferenceSession.create(path, sessionOptions()).catch((error: unknown) => {
      throw new Error(`cannot load ONNX model ${path}: ${error instanceof Error ? error.message : String(error)}`);
    });
    const pick = (kind: "input" | "output", have: readonly string[], choices: NameChoices, required: boolean) =>
      Object.fromEntries(
        Object.entries(choices).map(([role, names]) => {
          const name = names.find((n) => have.includes(n));
          if (name === undefined && required) {
            void session.release();
            throw new Error(
              `ONNX model ${path} has no ${kind} for ${role}: expected one of [${names.join(", ")}], ` +
                `the graph's ${kind}s are [${have.join(", ")}]`,
            );
          }
          return [role, name];
        }),
      );
    const layered = expected.perLayer ? perLayerChoices(expected.perLayer, session) : { inputs: {}, outputs: {}, layers: 0 };
    const inputs = pick("input", session.inputNames, { ...expected.inputs, ...layered.inputs }, true) as Record<string, string>;
    const outputs = {
      ...pick("output", session.outputNames, { ...expected.outputs, ...layered.outputs }, true),
      ...pick("output", session.outputNames, expected.optionalOutputs ?? {}, false),
    };
    return new OnnxModel(path, session, inputs, outputs, layered.layers);
  }

  has(outputRole: string): boolean {
    return this.outputNames[outputRole] !== undefined;
  }

  /** Declared shape of an input (numbers for fixed dims, strings for symbolic ones). */
  inputShape(role: string): readonly (number | string)[] {
    return shapeOf(this.session.inputMetadata, this.inputNames[role]);
  }

  outputShape(role: string): readonly (number | string)[] {
    return shapeOf(this.session.outputMetadata, this.outputNames[role]);
  }

  /**
   * Run with feeds keyed by role. Runs are queued: onnxruntime-node runs on the JS thread, and one run at a time
   * uses the intra-op threads fully while the next batch is decoded and resized by sharp in the background.
   */
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    const result = this.queue.then(async () => {
      const named: Record<string, ort.Tensor> = {};
      for (const [role, tensor] of Object.entries(feeds)) named[this.inputNames[role] ?? role] = tensor;
      const fetches = Object.values(this.outputNames).filter((n): n is string => n !== undefined);
      const out = await this.session.run(named, fetches);
      const byRole: Record<string, ort.Tensor> = {};
      for (const [role, name] of Object.entries(this.outputNames)) if (name !== undefined) byRole[role] = out[name]!;
      return byRole;
    });
    this.queue = result.catch(() => {});
    return result;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.session.release();
  }
}

/** Per-layer roles expanded for the layers the graph has (none found: layer 0's names, so the error names them). */
function perLayerChoices(perLayer: NonNullable<OnnxInterface["perLayer"]>, graph: { inputNames: readonly string[]; outputNames: readonly string[] }) {
  const nameOf = (pattern: string, layer: number) => pattern.replaceAll("{layer}", String(layer));
  const [first, names] = perLayer.inputs ? [Object.values(perLayer.inputs)[0], graph.inputNames] : [Object.values(perLayer.outputs ?? {})[0], graph.outputNames];
  let layers = 0;
  while (first !== undefined && names.includes(nameOf(first, layers))) layers++;
  const expand = (roles: Record<string, string> = {}): NameChoices =>
    Object.fromEntries(
      Array.from({ length: Math.max(1, layers) }, (_, layer) => Object.entries(roles).map(([role, pattern]) => [`${role}.${layer}`, [nameOf(pattern, layer)]])).flat(),
    );
  return { inputs: expand(perLayer.inputs), outputs: expand(perLayer.outputs), layers };
}

function shapeOf(metadata: readonly ort.InferenceSession.ValueMetadata[], name: string | undefined) {
  const found = metadata.find((m) => m.name === name);
  return found?.isTensor ? found.shape : [];
}

export { ort };
