// Picks the fastest tfjs backend that loads here: tfjs-node-gpu (CUDA), tfjs-node (native CPU), wasm, cpu.
// The native ones are optional packages that fail to install without Google's download host (FIELD-NOTES), so
// they are imported dynamically and their absence is an expected, logged outcome. MEMEOPS_BACKEND forces one.
import * as tf from "@tensorflow/tfjs";
import type { Log } from "../data/log.ts";
import { shareBuffersOnWasm } from "../models/layers/wasm-kernels.ts";

export const BACKENDS = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface SelectedBackend {
  choice: BackendChoice;
  /** tf.getBackend() after selection */
  tfName: string;
  /** one line per candidate tried: why it was taken or skipped */
  reasons: string[];
}

// Where a missing native backend comes from, for the error of a forced one.
const HINTS: Partial<Record<BackendChoice, string>> = {
  tensorflow: " (outside the trainer image: bash test/tfjs-node/install.sh builds it from registry packages)",
  "tensorflow-gpu": " (the trainer image installs it; it needs CUDA 11 and cuDNN 8)",
};

const errorText = (e: unknown) => (e instanceof Error ? e.message.split("\n")[0]! : String(e));

async function tryNative(pkg: string): Promise<void> {
  // TensorFlow's C++ info lines would go to stderr, which holds the trainer's JSON lines only
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  await import(pkg); // registers the "tensorflow" backend
  if (!(await tf.setBackend("tensorflow"))) throw new Error(`${pkg} loaded but backend "tensorflow" did not initialise`);
}

const loaders: Record<BackendChoice, () => Promise<void>> = {
  "tensorflow-gpu": () => tryNative("@tensorflow/tfjs-node-gpu"),
  tensorflow: () => tryNative("@tensorflow/tfjs-node"),
  wasm: async () => {
    await import("@tensorflow/tfjs-backend-wasm");
    if (!(await tf.setBackend("wasm"))) throw new Error("wasm backend did not initialise");
    shareBuffersOnWasm();
  },
  cpu: async () => {
    if (!(await tf.setBackend("cpu"))) throw new Error("cpu backend did not initialise");
  },
};

/**
 * Tries the candidates in order (default: all, fastest first; or MEMEOPS_BACKEND) and keeps the first that works.
 */
export async function selectBackend(
  opts: { candidates?: readonly BackendChoice[]; log?: Log } = {},
): Promise<SelectedBackend> {
  const forced = process.env.MEMEOPS_BACKEND as BackendChoice | undefined;
  if (forced !== undefined && !BACKENDS.includes(forced)) {
    throw new Error(`MEMEOPS_BACKEND=${forced} is not one of ${BACKENDS.join(", ")}`);
  }
  const candidates = opts.candidates ?? (forced ? [forced] : BACKENDS);
  const reasons: string[] = [];
  for (const choice of candidates) {
    try {
      await loaders[choice]();
      await tf.ready();
      reasons.push(`${choice}: selected${forced ? " (MEMEOPS_BACKEND)" : ""}`);
      const selected = { choice, tfName: tf.getBackend(), reasons };
      opts.log?.(`tfjs backend: ${choice} (${reasons.join("; ")})`);
      return selected;
    } catch (e) {
      reasons.push(`${choice}: unavailable (${errorText(e)})`);
    }
  }
  if (forced && !opts.candidates) {
    throw new Error(`MEMEOPS_BACKEND=${forced} but that backend is unavailable: ${reasons.join("; ")}${HINTS[forced] ?? ""}`);
  }
  throw new Error(`no tfjs backend could be loaded: ${reasons.join("; ")}`);
}
