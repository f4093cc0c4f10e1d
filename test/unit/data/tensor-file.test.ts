// The binary format of the prepared dataset's arrays.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TensorReader, TensorWriter } from "../../../trainer-image/src/data/tensor-file.ts";

const dir = mkdtempSync(join(tmpdir(), "memeops-tensor-"));

describe("tensor files", () => {
  it("round-trip rows appended one at a time, with the shape in the header", async () => {
    const path = join(dir, "f.bin");
    const w = await TensorWriter.create(path, "float32", [2, 3]);
    await w.append(Float32Array.from([1, 2, 3, 4, 5, 6]));
    await w.append(Float32Array.from([7, 8, 9, 10, 11, 12.5, 0, -1, Number.MAX_VALUE, 1e-30, 3, 2]));
    expect((await w.close()).shape).toEqual([3, 2, 3]);

    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 8).toString("latin1")).toBe("MMTENSOR");
    const headerLength = bytes.readUInt32LE(8);
    expect((12 + headerLength) % 64).toBe(0);
    expect(JSON.parse(bytes.subarray(12, 12 + headerLength).toString())).toEqual({ dtype: "float32", shape: [3, 2, 3], byteOrder: "little" });
    // little-endian float32 right after the header
    expect(bytes.readFloatLE(12 + headerLength + 4 * 11)).toBe(12.5);

    const r = await TensorReader.open(path);
    expect(r.rows).toBe(3);
    expect([...(await r.read(1, 1))]).toEqual([7, 8, 9, 10, 11, 12.5]);
    expect((await r.readAll()).length).toBe(18);
    await expect(r.read(2, 2)).rejects.toThrow(/out of range/);
    await r.close();
  });

  it("int32 rows, and a wrong row size or dtype is refused", async () => {
    const path = join(dir, "i.bin");
    const w = await TensorWriter.create(path, "int32", [4]);
    await w.append(Int32Array.from([101, 7592, 102, 0]));
    await expect(w.append(Int32Array.from([1, 2, 3]))).rejects.toThrow(/multiple of 4/);
    await expect(w.append(new Float32Array(4))).rejects.toThrow(/expected int32/);
    await w.close();
    const r = await TensorReader.open(path);
    expect(r.header).toEqual({ dtype: "int32", shape: [1, 4], byteOrder: "little" });
    expect([...(await r.readAll())]).toEqual([101, 7592, 102, 0]);
    await r.close();
  });

  it("a file that is not a tensor file is refused", async () => {
    const path = join(dir, "x.bin");
    writeFileSync(path, "hello world, not a tensor");
    await expect(TensorReader.open(path)).rejects.toThrow(/not a memeops tensor file/);
  });
});
