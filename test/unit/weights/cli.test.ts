// `memeops weights inspect|convert` as users run them: a child process, its exit code and output.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURE_CONFIG, fixture } from "./fixtures.ts";

// async, so the test worker stays responsive while the CLI runs (each start loads tfjs: seconds)
const memeops = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, ["cli/bin/memeops.mjs", "weights", ...args], { encoding: "utf8" }, (err, stdout, stderr) =>
      done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
const tmp = mkdtempSync(join(tmpdir(), "memeops-weights-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const config = (name: "vilbert_facebook" | "vilbert_hf") => {
  const path = join(tmp, `${name}.json`);
  writeFileSync(path, JSON.stringify(FIXTURE_CONFIG[name]));
  return path;
};

describe("memeops weights", () => {
  it("inspect prints every tensor and where it goes, exit 0 for a complete load", async () => {
    const r = await memeops("inspect", fixture("vilbert-facebook-legacy.bin"), "--size", "tiny", "--config", config("vilbert_facebook"));
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/vilbert-facebook-legacy\.bin: torch-legacy, 113 tensors, vilbert names/);
    expect(r.stdout).toMatch(/113 tensors: 95 mapped, 18 skipped on purpose, 0 unexpected, 0 of the wrong shape/);
    expect(r.stdout).toContain("  bert.encoder.c_layer.0.biattention.query1.weight Float [32, 32]  -> bert.encoder.c_layer.0.biattention.query1.kernel (transposed)");
    expect(r.stdout).toMatch(/ {2}cls\.bi_seq_relationship\.weight Float \[2, 32\] {2}SKIPPED: pretraining head/);
    expect(r.stdout).toMatch(/NOT-IN-CHECKPOINT: memeops' hateful-memes head.*\n {4}classifier\.\*/);
    expect(r.stdout).toMatch(/; poolers relu \(as trained\)\n/);
    expect(r.stdout).not.toMatch(/WARNING/);
  }, 180_000);

  it("inspect --pooler-activation tanh: says the model's poolers differ from the file's, still a complete load", async () => {
    const r = await memeops("inspect", fixture("vilbert-facebook-zip.bin"), "--size", "tiny", "--config", config("vilbert_facebook"), "--pooler-activation", "tanh");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/; poolers tanh \(trained with relu\)\nWARNING: bert\.t_pooler and bert\.v_pooler were trained with relu .*--pooler-activation relu\) matches the file\n/);
  }, 180_000);

  it("inspect exits 1 when the load would be incomplete (the published sizes do not fit the fixture)", async () => {
    const r = await memeops("inspect", fixture("bert-model.safetensors"), "--model", "vilbert_hf", "--size", "tiny");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/embeddings\.word_embeddings\.weight F32 \[99, 32\] {2}WRONG-SHAPE: bert\.embeddings\.word_embeddings\.weight is \[30522, 64\]/);
  }, 180_000);

  it("inspect refuses a malicious pickle with a clear error", async () => {
    const r = await memeops("inspect", fixture("malicious-system.bin"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/memeops weights: .*refused: the pickle references posix\.system/);
  }, 180_000);

  it("convert writes a memeops checkpoint that inspect then maps one to one; refuses an existing OUT", async () => {
    const out = join(tmp, "converted");
    const r = await memeops("convert", fixture("vilbert-hf.safetensors"), out, "--model", "vilbert_hf", "--size", "tiny", "--config", config("vilbert_hf"));
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/99 loaded, 4 not in this checkpoint by design, 0 missing/);
    const manifest = JSON.parse(readFileSync(join(out, "checkpoint.json"), "utf8"));
    expect(manifest.architecture.name).toBe("vilbert_hf");
    expect(manifest.converted.layout).toBe("vilbert_hf");
    const again = await memeops("inspect", out);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/memeops-checkpoint, 103 tensors/);
    expect(again.stdout).toMatch(/103 mapped.*103 loaded/);
    const twice = await memeops("convert", fixture("vilbert-hf.safetensors"), out, "--model", "vilbert_hf", "--size", "tiny", "--config", config("vilbert_hf"));
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/already exists/);
  }, 180_000);

  it("convert refuses an incomplete load unless --allow-partial", async () => {
    const args = [fixture("bert-model-zip.bin"), "--model", "vilbert_facebook", "--size", "tiny", "--config", config("vilbert_facebook")];
    const cfg = JSON.parse(readFileSync(config("vilbert_facebook"), "utf8"));
    const bigger = join(tmp, "bigger-vocab.json");
    writeFileSync(bigger, JSON.stringify({ ...cfg, maxPositions: 64 }));
    const refused = await memeops("convert", args[0]!, join(tmp, "p1"), ...args.slice(1, 5), "--config", bigger);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/wrong shape: embeddings\.position_embeddings\.weight \[40, 32\]/);
    const partial = await memeops("convert", args[0]!, join(tmp, "p2"), ...args.slice(1, 5), "--config", bigger, "--allow-partial");
    expect(partial.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(tmp, "p2", "checkpoint.json"), "utf8"));
    expect(manifest.converted.notLoaded.find((t: { name: string }) => t.name === "bert.embeddings.position_embeddings.weight").status).toBe("wrong-shape");
  }, 180_000);
});
