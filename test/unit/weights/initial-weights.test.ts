// spec.model.initialWeights in the train stage: a path, a mounted file, https with a Secret's token (downloaded once
// into the cache, checked by sha256), a memeops checkpoint; a missing file is an error, never a random start.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hubUrl, loadInitialWeights, locateInitialWeights, weightsParams, weightsSummary } from "../../../trainer-image/src/stages/initial-weights.ts";
import { openCheckpoint } from "../../../trainer-image/src/weights/open-checkpoint.ts";
import { loadInto } from "../../../trainer-image/src/weights/load.ts";
import { saveWeightsCheckpoint } from "../../../trainer-image/src/weights/save.ts";
import { fixture, fixtureModel, manifest } from "./fixtures.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-initial-weights-"));
const TOKEN = "test-token-not-a-secret";
let server: Server;
let base = "";
const hits: { path: string; auth: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push({ path: req.url ?? "", auth: req.headers.authorization });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end("unauthorized");
    const name = (req.url ?? "").replace(/^\/files\//, "");
    if (!manifest.files[name]) return void res.writeHead(404).end();
    const body = readFileSync(fixture(name));
    res.writeHead(200, { "content-length": body.length }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files`;
  mkdirSync(join(tmp, "secrets", "weights-token"), { recursive: true });
  writeFileSync(join(tmp, "secrets", "weights-token", "token"), `${TOKEN}\n`);
});
afterAll(async () => {
  await new Promise((ok) => server.close(ok));
  rmSync(tmp, { recursive: true, force: true });
});

const opts = (name: string) => {
  const workDir = join(tmp, name);
  mkdirSync(workDir, { recursive: true });
  return { workDir, env: { MEMEOPS_SECRETS_DIR: join(tmp, "secrets") } as NodeJS.ProcessEnv, cacheDir: join(tmp, "cache") };
};
const w = (o: Record<string, unknown>) => ({ allowPartial: false, ...o });

describe("loadInitialWeights", () => {
  it("loads a published file by path and writes WORKDIR/weights-report.json with every tensor", async () => {
    const o = opts("path");
    const model = fixtureModel("vilbert_facebook");
    const load = await loadInitialWeights(model, w({ uri: fixture("vilbert-facebook-legacy.bin") }), o);
    expect(load.sha256).toBe(manifest.files["vilbert-facebook-legacy.bin"]!.sha256);
    const written = JSON.parse(readFileSync(join(o.workDir, "weights-report.json"), "utf8"));
    expect(written.sources).toHaveLength(113);
    expect(written.targets.filter((t: { status: string }) => t.status !== "loaded").map((t: { name: string }) => t.name))
      .toEqual(["classifier.dense.kernel", "classifier.dense.bias", "classifier.out_proj.kernel", "classifier.out_proj.bias"]);
    expect(weightsParams(load)).toMatchObject({
      "initial_weights.layout": "vilbert_facebook", "initial_weights.format": "torch-legacy", "initial_weights.loaded": 95,
      "initial_weights.not_loaded_count": 4, "initial_weights.missing": 0, "initial_weights.not_loaded": "classifier.*",
    });
    expect(weightsSummary(load)).toMatchObject({ loaded: 95, missing: 0, notLoaded: ["classifier.*"], notLoadedCount: 4, report: "weights-report.json" });
    model.dispose();
  });

  it("evaluate and predict refuse a published file (no trained head) with what to do instead", async () => {
    await expect(locateInitialWeights(w({ uri: fixture("vilbert-facebook-zip.bin") }), { workDir: tmp, trainedCheckpoint: true }))
      .rejects.toThrow(/evaluate and predict need a trained memeops checkpoint directory; .*memeops weights convert/);
  });

  it("a missing file, or one whose sha256 differs from the spec's, is an error (never a random start)", async () => {
    const model = fixtureModel("vilbert_facebook");
    await expect(loadInitialWeights(model, w({ uri: join(tmp, "nowhere.bin") }), opts("missing")))
      .rejects.toThrow(/nowhere\.bin does not exist; refusing to start from random weights/);
    await expect(loadInitialWeights(model, w({ uri: `file://${fixture("bert-model-zip.bin")}`, sha256: "0".repeat(64) }), opts("sha")))
      .rejects.toThrow(/sha256 mismatch .*refusing to start from random weights/);
    model.dispose();
  });

  it("downloads https-style URIs once into the cache with the Secret's token, checks the sha256, and reuses the copy", async () => {
    const o = opts("remote");
    const spec = w({ uri: `${base}/bert-model.safetensors`, sha256: manifest.files["bert-model.safetensors"]!.sha256, tokenSecret: { name: "weights-token", key: "token" } });
    hits.length = 0;
    const model = fixtureModel("vilbert_hf");
    const first = await loadInitialWeights(model, spec, o);
    expect(first.path.startsWith(o.cacheDir)).toBe(true);
    expect(first.report.layout).toBe("bert");
    expect(weightsParams(first)["initial_weights.not_loaded"]).toBe(
      "bert.v_embeddings.*, bert.encoder.v_layer.*, bert.encoder.c_layer.*, bert.t_pooler.*, bert.v_pooler.*, vil_prediction.*",
    );
    await loadInitialWeights(model, spec, o);
    expect(hits).toEqual([{ path: "/files/bert-model.safetensors", auth: `Bearer ${TOKEN}` }]); // once
    // no token: the server refuses, and that is an error naming the URI
    await expect(loadInitialWeights(model, w({ uri: `${base}/bert-model-zip.bin` }), o)).rejects.toThrow(/model\.initialWeights\.uri http:\/\/127\.0\.0\.1:\d+\/files\/bert-model-zip\.bin: .*401/);
    model.dispose();
  });

  it("allowPartial starts from a file with missing tensors and says exactly which stayed random", async () => {
    const o = opts("partial");
    const full = fixtureModel("vilbert_facebook", 3);
    const report = loadInto(full, await openCheckpoint(fixture("vilbert-facebook-zip.bin")));
    // a memeops checkpoint without the visual pooler: save all, then drop two tensors from its safetensors
    const dir = join(tmp, "partial-ckpt");
    await saveWeightsCheckpoint(dir, full, { file: "x", sha256: "y", layout: report.layout }, report);
    const file = await openCheckpoint(dir);
    const keep = [...file.tensors.keys()].filter((k) => !k.startsWith("bert.v_pooler."));
    const { encodeSafetensors } = await import("../../../trainer-image/src/checkpoint/safetensors.ts");
    writeFileSync(join(dir, "model.safetensors"), encodeSafetensors(new Map(keep.map((k) => [k, { shape: file.tensors.get(k)!.shape, data: file.tensors.get(k)!.read() }]))));
    const model = fixtureModel("vilbert_facebook", 4);
    await expect(loadInitialWeights(model, w({ uri: dir }), o)).rejects.toThrow(/missing: bert\.v_pooler\.dense\.kernel/);
    const refused = JSON.parse(readFileSync(join(o.workDir, "weights-report.json"), "utf8"));
    expect(refused.targets.filter((t: { status: string }) => t.status === "missing").map((t: { name: string }) => t.name)).toEqual(["bert.v_pooler.dense.kernel", "bert.v_pooler.dense.bias"]);
    const load = await loadInitialWeights(model, w({ uri: dir, allowPartial: true }), o);
    expect(weightsParams(load)).toMatchObject({ "initial_weights.layout": "memeops", "initial_weights.missing": 2, "initial_weights.not_loaded": "bert.v_pooler.*" });
    full.dispose();
    model.dispose();
  });

  it("fromExperiment reads that run's checkpoints; hf:// names the hub's download URL", async () => {
    const o = opts("from");
    const runs = join(tmp, "runs");
    const src = fixtureModel("vilbert_hf", 8);
    const report = loadInto(src, await openCheckpoint(fixture("vilbert-hf-zip.bin")));
    await saveWeightsCheckpoint(join(runs, "pre", "checkpoints"), src, { file: "f", sha256: "s", layout: report.layout }, report);
    const model = fixtureModel("vilbert_hf", 9);
    const load = await loadInitialWeights(model, w({ fromExperiment: "pre" }), { ...o, env: { MEMEOPS_RUNS_DIR: runs } });
    expect(load.report.targets.every((t) => t.status === "loaded")).toBe(true);
    expect(hubUrl("hf://facebook/vilbert@v1/pretrained_model.bin")).toBe("https://huggingface.co/facebook/vilbert/resolve/v1/pretrained_model.bin");
    expect(hubUrl("hf://org/repo/dir/model.safetensors")).toBe("https://huggingface.co/org/repo/resolve/main/dir/model.safetensors");
    expect(() => hubUrl("hf://org-only")).toThrow(/hf:\/\/ORG\/REPO\[@REVISION\]\/FILE/);
    expect(existsSync(join(o.workDir, "weights-report.json"))).toBe(true);
    src.dispose();
    model.dispose();
  });
});
