// Reading the published formats without Python: torch.save zip and legacy, safetensors; the restricted unpickler
// refuses anything but tensors and plain containers; damaged files are named as such.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCheckpoint } from "../../../trainer-image/src/weights/open-checkpoint.ts";
import { UnsafePickleError, unpickle } from "../../../trainer-image/src/weights/pickle.ts";
import { readStrided, type CheckpointFile } from "../../../trainer-image/src/weights/tensors.ts";
import { fixture, manifest } from "./fixtures.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-weights-readers-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const values = (file: CheckpointFile) => new Map([...file.tensors].map(([name, t]) => [name, Array.from(t.read())]));

describe("checkpoint readers", () => {
  it("reads every fixture as a state dict with the published names, byte-identical to its recorded sha256", async () => {
    const counts: Record<string, number> = {};
    for (const [name, info] of Object.entries(manifest.files)) {
      if (name.startsWith("malicious")) continue;
      const sha = (await import("node:crypto")).createHash("sha256").update(readFileSync(fixture(name))).digest("hex");
      expect(sha, name).toBe(info.sha256);
      const file = await openCheckpoint(fixture(name));
      counts[name] = file.tensors.size;
      for (const t of file.tensors.values()) expect(t.read().length, t.name).toBe(t.shape.reduce((a, b) => a * b, 1));
    }
    // torch's own counts of these state dicts (generate.py): the tied decoder is a tensor of its own
    expect(counts).toEqual({
      "vilbert-facebook-legacy.bin": 113, "vilbert-facebook-zip.bin": 113, "vilbert-hf-zip.bin": 139, "vilbert-hf.safetensors": 139,
      "bert-pretraining-legacy.bin": 48, "bert-model-zip.bin": 39, "bert-model.safetensors": 39,
    });
  });

  it("gives the same tensors from the zip, legacy and safetensors copies of one state dict", async () => {
    const fbLegacy = await openCheckpoint(fixture("vilbert-facebook-legacy.bin"));
    const fbZip = await openCheckpoint(fixture("vilbert-facebook-zip.bin"));
    expect([fbLegacy.format, fbZip.format]).toEqual(["torch-legacy", "torch-zip"]);
    expect(values(fbLegacy)).toEqual(values(fbZip));
    const hfZip = await openCheckpoint(fixture("vilbert-hf-zip.bin"));
    const hfSafe = await openCheckpoint(fixture("vilbert-hf.safetensors"));
    expect(hfSafe.format).toBe("safetensors");
    expect(values(hfSafe)).toEqual(values(hfZip));
    const bertZip = values(await openCheckpoint(fixture("bert-model-zip.bin")));
    const bertLegacy = values(await openCheckpoint(fixture("bert-pretraining-legacy.bin")));
    // BertForPreTraining's bert.* with gamma/beta = BertModel's names
    const renamed = new Map([...bertLegacy].filter(([k]) => k.startsWith("bert.") && !k.startsWith("bert.pooler"))
      .map(([k, v]) => [k.slice(5).replace(/gamma$/, "weight").replace(/beta$/, "bias"), v]));
    for (const [k, v] of renamed) expect(bertZip.get(k), k).toEqual(v);
    expect(renamed.size).toBe(37);
  });

  it("keeps tied tensors tied: cls.predictions.decoder.weight is the word embedding matrix, as published", async () => {
    const fb = await openCheckpoint(fixture("vilbert-facebook-legacy.bin"));
    expect(fb.tensors.get("cls.predictions.decoder.weight")!.read()).toEqual(fb.tensors.get("bert.embeddings.word_embeddings.weight")!.read());
  });

  it("refuses pickles that reference os.system or builtins.eval, naming the global, without running anything", async () => {
    const marker = "/tmp/memeops-pwned";
    rmSync(marker, { force: true });
    await expect(openCheckpoint(fixture("malicious-system.bin"))).rejects.toThrow(/refused: the pickle references posix\.system, which is not a tensor/);
    await expect(openCheckpoint(fixture("malicious-eval-legacy.bin"))).rejects.toThrow(/refused: the pickle references __builtin__\.eval/);
    await expect(openCheckpoint(fixture("malicious-system.bin"))).rejects.toBeInstanceOf(UnsafePickleError);
    expect(existsSync(marker)).toBe(false);
  });

  it("refuses any global outside the allowlist, even a torch one, at the GLOBAL opcode", () => {
    // PROTO 2; GLOBAL 'torch nn.Module'... -> never reaches REDUCE
    const pickle = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from("ctorch.nn.modules.linear\nLinear\n", "latin1"), Buffer.from(")R.", "latin1")]);
    expect(() => unpickle(pickle, 0, { globals: new Map(), source: "x.pkl" })).toThrow(/references torch\.nn\.modules\.linear\.Linear/);
  });

  it("names a truncated file as truncated, in each format", async () => {
    for (const [name, cut] of [["vilbert-facebook-zip.bin", 0.6], ["vilbert-facebook-legacy.bin", 0.97], ["vilbert-facebook-legacy.bin", 0.01], ["bert-model.safetensors", 0.5], ["bert-model.safetensors", 0.004]] as const) {
      const bytes = readFileSync(fixture(name));
      const path = join(tmp, `cut-${cut}-${name}`);
      writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * cut)));
      await expect(openCheckpoint(path), `${name} cut at ${cut}`).rejects.toThrow(/truncated/);
    }
  });

  it("says what a file is not, and that a missing file is not a random start", async () => {
    const text = join(tmp, "notes.txt");
    writeFileSync(text, "hello");
    await expect(openCheckpoint(text)).rejects.toThrow(/not a PyTorch checkpoint \(zip or legacy\), a safetensors file or a memeops checkpoint/);
    await expect(openCheckpoint(join(tmp, "absent.bin"))).rejects.toThrow(/does not exist .*refusing to start from random weights/);
  });
});

describe("tensor decoding", () => {
  // values exactly representable in half precision: 1, -2, 0.5, 65504 (max), 2^-24 (smallest subnormal), 0
  const values = [1, -2, 0.5, 65504, 2 ** -24, 0];
  const halfBits = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x0000];
  const bf16Values = [1, -2, 0.5, 65280, 2 ** -24, 0]; // bf16 keeps 8 bits of mantissa: 65504 is not one
  const bf16Bits = bf16Values.map((v) => new Uint32Array(new Float32Array([v]).buffer)[0]! >>> 16);

  it("reads F16 and BF16 safetensors through the project's decoder", async () => {
    for (const [dtype, bits, want] of [["F16", halfBits, values], ["BF16", bf16Bits, bf16Values]] as const) {
      const data = Buffer.from(new Uint16Array(bits).buffer);
      const json = Buffer.from(JSON.stringify({ w: { dtype, shape: [2, 3], data_offsets: [0, data.length] } }));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      const path = join(tmp, `${dtype}.safetensors`);
      writeFileSync(path, Buffer.concat([len, json, data]));
      expect(Array.from((await openCheckpoint(path)).tensors.get("w")!.read()), dtype).toEqual(want);
    }
  });

  it("reads torch Half and BFloat16 storages, with an offset and non-contiguous strides (a transposed view)", () => {
    const storage = (dtype: string, bits: number[]) => {
      const bytes = new Uint8Array(new Uint16Array([0xffff, ...bits]).buffer); // one element before the view
      return { key: "0", dtype, numel: bits.length + 1, bytes: () => bytes };
    };
    for (const [dtype, bits, v] of [["Half", halfBits, values], ["BFloat16", bf16Bits, bf16Values]] as const) {
      // storage holds a row-major [2, 3]; the view is its transpose [3, 2] (strides [1, 3]), starting at offset 1
      const t = readStrided({ storage: storage(dtype, bits), offset: 1, shape: [3, 2], stride: [1, 3] }, "x", "w");
      expect(Array.from(t), dtype).toEqual([v[0], v[3], v[1], v[4], v[2], v[5]]);
    }
    expect(() => readStrided({ storage: storage("Half", halfBits), offset: 2, shape: [2, 3], stride: [3, 1] }, "x.bin", "w"))
      .toThrow(/x\.bin: tensor w \[2,3\] reaches element 7 of a storage of 7/);
  });
});
