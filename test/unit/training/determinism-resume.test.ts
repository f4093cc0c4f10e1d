// Repeatability and resume: the same seed and data give bit-identical metrics and weights; a run killed after
// epoch k (or in the middle of epoch k+1) and resumed from its last checkpoint ends exactly like an uninterrupted
// run. Kills: a real child process that SIGKILLs itself, and (cheaper, for the mid-epoch case) an exception thrown
// from the progress callback, which stops the work at that point the way a kill would.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createModel } from "../../../trainer-image/src/models/registry.ts";
import type { Model } from "../../../trainer-image/src/models/model.ts";
import { train, type TrainEvent } from "../../../trainer-image/src/training/loop.ts";
import { loadModelWeights, modelFromCheckpoint, resolveCheckpoint } from "../../../trainer-image/src/training/checkpoint.ts";
import { XOR_DIMS } from "../../../trainer-image/src/training/xor-memes.ts";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { useWasm } from "./wasm.ts";
import { data as fixtureData, freshModel as fresh, spec } from "./resume-fixture.ts";

beforeAll(useWasm);
let root: string;
beforeAll(async () => (root = await mkdtemp(join(tmpdir(), "memeops-ckpt-"))));
afterAll(() => rm(root, { recursive: true, force: true }));

const data = fixtureData();
const weights = (m: Model) => [...m.params.variables].map(([n, v]) => [n, Array.from(v.dataSync())] as const);

class Killed extends Error {}
const killAt = (when: (e: TrainEvent) => boolean) => (e: TrainEvent) => {
  if (when(e)) throw new Killed("simulated kill");
};

async function run(opts: { dir?: string; resume?: boolean; onEvent?: (e: TrainEvent) => void }) {
  const model = fresh();
  try {
    const result = await train({ model, training: spec, ...data, checkpointDir: opts.dir, resume: opts.resume, onEvent: opts.onEvent });
    return { result, weights: weights(model) };
  } finally {
    model.dispose();
  }
}

describe("determinism and resume", () => {
  let reference: Awaited<ReturnType<typeof run>>;
  // a training run: far past the default 10 s hook timeout on a loaded 2-core machine
  beforeAll(async () => {
    reference = await run({ dir: join(root, "reference") });
  }, 120_000);

  it("the same seed and data give bit-identical metrics and weights", async () => {
    const again = await run({});
    expect(again.result.history).toEqual(reference.result.history);
    expect(again.weights).toEqual(reference.weights);
    expect(reference.result.history).toHaveLength(3);
  });

  it("killed after epoch 1's checkpoint, then resumed: same result as the uninterrupted run", async () => {
    const dir = join(root, "killed-after-epoch");
    await expect(run({ dir, onEvent: killAt((e) => e.type === "checkpoint" && e.epoch === 1) })).rejects.toBeInstanceOf(Killed);
    const events: TrainEvent[] = [];
    const resumed = await run({ dir, resume: true, onEvent: (e) => events.push(e) });
    expect(events[0]).toMatchObject({ type: "start", resumedAfterEpoch: 1 });
    expect(resumed.result.history).toEqual(reference.result.history);
    expect(resumed.weights).toEqual(reference.weights);
  });

  it("a child process SIGKILLed after epoch 1's checkpoint, then resumed: same result", async () => {
    const dir = join(root, "sigkilled");
    const child = fileURLToPath(new URL("./sigkill-child.ts", import.meta.url));
    const signal = await new Promise<string | null>((resolve) => {
      execFile(process.execPath, ["--import", "tsx", child, dir, "1"], (error) => resolve((error as { signal?: string } | null)?.signal ?? null));
    });
    expect(signal).toBe("SIGKILL");
    const resumed = await run({ dir, resume: true });
    expect(resumed.result.history).toEqual(reference.result.history);
    expect(resumed.weights).toEqual(reference.weights);
  }, 60_000);

  it("killed in the middle of epoch 2, then resumed: same result", async () => {
    const dir = join(root, "killed-mid-epoch");
    await expect(run({ dir, onEvent: killAt((e) => e.type === "step" && e.epoch === 2 && e.batch === 2) })).rejects.toBeInstanceOf(Killed);
    const resumed = await run({ dir, resume: true });
    expect(resumed.result.history).toEqual(reference.result.history);
    expect(resumed.weights).toEqual(reference.weights);
  });

  it("the best checkpoint holds the weights the run ended with", async () => {
    const { model, manifest } = await modelFromCheckpoint(join(root, "reference"), "best");
    expect(manifest.epoch).toBe(reference.result.bestEpoch);
    expect(manifest.architecture).toMatchObject({ name: "vilbert_facebook", size: "tiny", dims: XOR_DIMS });
    expect(weights(model)).toEqual(reference.weights);
    model.dispose();
  });

  it("refuses a checkpoint of another architecture, listing the mismatches", async () => {
    const other = createModel("vilbert_hf", "tiny", XOR_DIMS);
    const dir = await resolveCheckpoint(join(root, "reference"));
    const error = await loadModelWeights(other, dir).catch((e: Error) => e);
    other.dispose();
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`checkpoint ${dir} was written for vilbert_facebook/tiny (T=16, R=16, D=12), not vilbert_hf/tiny`);
    expect((error as Error).message).toMatch(/name: checkpoint "vilbert_facebook" != model "vilbert_hf"/);
    expect((error as Error).message).toMatch(/config\.visualFeatureNorm: checkpoint false != model true/);

    const otherDims = createModel("vilbert_facebook", "tiny", { ...XOR_DIMS, D: 8 });
    await expect(loadModelWeights(otherDims, dir)).rejects.toThrow(/dims\.D: checkpoint 12 != model 8/);
    otherDims.dispose();
  });

  it("a missing checkpoint is a clear error naming the path", async () => {
    const missing = join(root, "does-not-exist");
    await expect(resolveCheckpoint(missing)).rejects.toThrow(`no checkpoint at ${missing}: the path does not exist`);
    await expect(modelFromCheckpoint(root)).rejects.toThrow(`no checkpoint at ${root}: neither checkpoint.json nor best.json is there`);
  });
});
