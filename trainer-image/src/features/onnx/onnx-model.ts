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
    const inputs = pick("input", session.inputNames, expected.inputs, true) as Record<string, string>;
    const outputs = {
      ...pick("output", session.outputNames, expected.outputs, true),
      ...pick("output", session.outputNames, expected.optionalOutputs ?? {}, false),
    };
    return new OnnxModel(path, session, inputs, outputs);
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

function shapeOf(metadata: readonly ort.InferenceSession.ValueMetadata[], name: string | undefined) {
  const found = metadata.find((m) => m.name === name);
  return found?.isTensor ? found.shape : [];
}

export { ort };
