// Where `memeops run` looks for initialWeights on this machine.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { locateInitialWeights } from "../../../trainer-image/src/stages/initial-weights.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-weights-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const base = { allowPartial: false };
const resolveInitialWeights = async (w: Parameters<typeof locateInitialWeights>[0], workDir: string, env?: NodeJS.ProcessEnv) =>
  (await locateInitialWeights(w, { workDir, ...(env && { env }), trainedCheckpoint: true })).path;

describe("locateInitialWeights for evaluate and predict", () => {
  it("takes a local path or file:// uri as is, and refuses remote ones", async () => {
    expect(await resolveInitialWeights({ ...base, uri: "runs/x/checkpoints" }, tmp)).toBe(resolve("runs/x/checkpoints"));
    expect(await resolveInitialWeights({ ...base, uri: "file:///data/ckpt" }, tmp)).toBe("/data/ckpt");
    await expect(resolveInitialWeights({ ...base, uri: "hf://org/model" }, tmp)).rejects.toThrow(/local checkpoint directories only/);
  });

  it("finds fromExperiment under the runs directory, or says how to name a run written elsewhere", async () => {
    const env = { MEMEOPS_RUNS_DIR: tmp };
    await expect(resolveInitialWeights({ ...base, fromExperiment: "qs" }, tmp, env)).rejects.toThrow(/no local run at .*qs\/checkpoints.*initialWeights\.uri/);
    mkdirSync(join(tmp, "qs", "checkpoints"), { recursive: true });
    expect(await resolveInitialWeights({ ...base, fromExperiment: "qs" }, tmp, env)).toBe(join(tmp, "qs", "checkpoints"));
  });
});
