import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchModelFile, openModelDir } from "../../../trainer-image/src/models-io/fetch-model.ts";
import { parseModelUri } from "../../../trainer-image/src/models-io/model-uri.ts";

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");
const tmp = mkdtempSync(join(tmpdir(), "memeops-models-"));
const model = new Uint8Array(200_000).map((_, i) => (i * 31) % 251);
const TOKEN = "s3cret";

// A model server on loopback: files under /models/, a bearer token on /private/, one 500 before success on /flaky/.
const served: Record<string, Uint8Array | string> = {
  "/models/resnet152.onnx": model,
  "/private/resnet152.onnx": model,
  "/flaky/resnet152.onnx": model,
  "/blip/vision_model.onnx": "vision",
  "/blip/vocab.txt": "vocab",
  "/blip/SHA256SUMS": `${sha256("vision")}  vision_model.onnx\n${sha256("not the vocab")}  vocab.txt\n`,
};
const hits = new Map<string, number>();
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path.startsWith("/private/") && req.headers.authorization !== `Bearer ${TOKEN}`) return res.writeHead(401).end();
    if (path.startsWith("/flaky/") && hits.get(path) === 1) return res.writeHead(500).end();
    const body = served[path];
    if (body === undefined) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("model URIs", () => {
  it("reads paths, file:// and https, with an optional #sha256 pin", () => {
    const pin = "a".repeat(64);
    expect(parseModelUri("/models/x.onnx")).toEqual({ kind: "local", path: "/models/x.onnx" });
    expect(parseModelUri(`file:///models/x.onnx#sha256=${pin}`)).toEqual({ kind: "local", path: "/models/x.onnx", expectedSha256: pin });
    expect(parseModelUri("https://example.org/x.onnx")).toMatchObject({ kind: "remote" });
  });

  it("rejects what it cannot fetch, saying why", () => {
    expect(() => parseModelUri("s3://bucket/x.onnx")).toThrow(/scheme s3: is not supported/);
    expect(() => parseModelUri("http://example.org/x.onnx")).toThrow(/only on loopback/);
    expect(() => parseModelUri("/x.onnx#sha256=abc")).toThrow(/64 lowercase hex/);
  });
});

describe("fetchModelFile", () => {
  const local = join(tmp, "local.onnx");
  writeFileSync(local, model);

  it("uses local files in place and reports their hash", async () => {
    const viaPath = await fetchModelFile(local, { cacheDir: join(tmp, "cache") });
    const viaUrl = await fetchModelFile(`${pathToFileURL(local).href}#sha256=${sha256(model)}`, { cacheDir: join(tmp, "cache") });
    expect(viaPath).toEqual({ uri: local, path: local, sha256: sha256(model) });
    expect(viaUrl.path).toBe(local);
  });

  it("fails on a missing file and on a wrong sha256, naming the file", async () => {
    await expect(fetchModelFile(join(tmp, "absent.onnx"), { cacheDir: tmp })).rejects.toThrow(`model file not found: ${join(tmp, "absent.onnx")}`);
    await expect(fetchModelFile(`${local}#sha256=${"0".repeat(64)}`, { cacheDir: tmp })).rejects.toThrow(
      `sha256 mismatch for model ${local} (${local}): expected ${"0".repeat(64)}, got ${sha256(model)}`,
    );
  });

  it("downloads once into the cache, then reuses the copy", async () => {
    const cacheDir = join(tmp, "download-cache");
    const uri = `${base}/models/resnet152.onnx#sha256=${sha256(model)}`;
    const first = await fetchModelFile(uri, { cacheDir });
    const second = await fetchModelFile(uri, { cacheDir });
    expect(first.path.startsWith(cacheDir)).toBe(true);
    expect(first.path.endsWith("resnet152.onnx")).toBe(true);
    expect(readFileSync(first.path)).toEqual(Buffer.from(model));
    expect(second).toEqual(first);
    expect(hits.get("/models/resnet152.onnx")).toBe(1);
  });

  it("sends the bearer token, and says so when it is refused", async () => {
    const uri = `${base}/private/resnet152.onnx`;
    await expect(fetchModelFile(uri, { cacheDir: join(tmp, "c1") })).rejects.toThrow(/access denied \(HTTP 401\).*missing or insufficient token/);
    const got = await fetchModelFile(uri, { cacheDir: join(tmp, "c2"), bearerToken: TOKEN });
    expect(got.sha256).toBe(sha256(model));
  });

  it("retries a server error, and does not keep a download whose hash is wrong", async () => {
    expect((await fetchModelFile(`${base}/flaky/resnet152.onnx`, { cacheDir: join(tmp, "c3") })).sha256).toBe(sha256(model));
    const wrong = `${base}/models/resnet152.onnx#sha256=${"1".repeat(64)}`;
    await expect(fetchModelFile(wrong, { cacheDir: join(tmp, "c4") })).rejects.toThrow(/sha256 mismatch/);
    await expect(fetchModelFile(`${base}/models/absent.onnx`, { cacheDir: join(tmp, "c4") })).rejects.toThrow(/HTTP 404/);
  });
});

describe("openModelDir", () => {
  it("fetches files of a remote directory, pinned by its SHA256SUMS", async () => {
    const dir = await openModelDir(`${base}/blip`, { cacheDir: join(tmp, "c5") });
    expect(readFileSync((await dir.file("vision_model.onnx")).path, "utf8")).toBe("vision");
    expect(await dir.optionalFile("tokenizer.json")).toBeUndefined();
    await expect(dir.file("text_decoder.onnx")).rejects.toThrow(`model file not found: text_decoder.onnx in ${base}/blip`);
    await expect(dir.file("vocab.txt")).rejects.toThrow(/sha256 mismatch for model .*vocab\.txt/);
  });

  it("reads local directories in place", async () => {
    const local = join(tmp, "blip-local");
    mkdirSync(local);
    writeFileSync(join(local, "vocab.txt"), "x");
    const dir = await openModelDir(pathToFileURL(local).href, { cacheDir: tmp });
    expect((await dir.file("vocab.txt")).path).toBe(join(local, "vocab.txt"));
    await expect(dir.file("../etc/passwd")).rejects.toThrow(/plain file name/);
  });
});
