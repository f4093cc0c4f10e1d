// Backend choice without the native packages (the unit project never links tfjs-node): a forced backend that cannot
// load is an error that says so, never a quiet fall-back to another one; a bad name is refused outright.
import { afterEach, describe, expect, it } from "vitest";
import { selectBackend } from "../../../trainer-image/src/training/tfjs-backend.ts";

const saved = process.env.MEMEOPS_BACKEND;
afterEach(() => {
  if (saved === undefined) delete process.env.MEMEOPS_BACKEND;
  else process.env.MEMEOPS_BACKEND = saved;
});

describe("selectBackend", () => {
  it("a forced backend that cannot load is an error naming it and why", async () => {
    process.env.MEMEOPS_BACKEND = "tensorflow-gpu";
    await expect(selectBackend()).rejects.toThrow(/^MEMEOPS_BACKEND=tensorflow-gpu but that backend is unavailable: tensorflow-gpu: unavailable \(/);
  });

  it("an unknown backend name is refused with the valid ones", async () => {
    process.env.MEMEOPS_BACKEND = "webgpu";
    await expect(selectBackend()).rejects.toThrow("MEMEOPS_BACKEND=webgpu is not one of tensorflow-gpu, tensorflow, wasm, cpu");
  });

  it("without a forced one, the first that loads is taken and every skipped one is logged with its reason", async () => {
    delete process.env.MEMEOPS_BACKEND;
    const lines: string[] = [];
    const selected = await selectBackend({ candidates: ["tensorflow-gpu", "wasm"], log: (l) => lines.push(l) });
    expect(selected.choice).toBe("wasm");
    expect(selected.reasons[0]).toMatch(/^tensorflow-gpu: unavailable \(.+\)$/);
    expect(lines).toEqual([expect.stringMatching(/^tfjs backend: wasm \(tensorflow-gpu: unavailable .*; wasm: selected\)$/)]);
  });
});
