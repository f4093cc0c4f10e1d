import { describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors } from "../../../trainer-image/src/checkpoint/safetensors.ts";

describe("safetensors", () => {
  it("round-trips F32 tensors and metadata", () => {
    const tensors = new Map([
      ["b.kernel", { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) }],
      ["a.bias", { shape: [1], data: Float32Array.from([Math.PI]) }],
    ]);
    const buf = encodeSafetensors(tensors, { format: "x" });
    const back = decodeSafetensors(buf);
    expect(back.metadata).toEqual({ format: "x" });
    expect([...back.tensors.keys()].sort()).toEqual(["a.bias", "b.kernel"]);
    expect(back.tensors.get("b.kernel")).toEqual(tensors.get("b.kernel"));
    expect(back.tensors.get("a.bias")!.data[0]).toBe(Math.fround(Math.PI));
  });

  it("reads F16 and BF16 (as published checkpoints store them)", () => {
    const header = JSON.stringify({
      h: { dtype: "F16", shape: [2], data_offsets: [0, 4] },
      g: { dtype: "BF16", shape: [1], data_offsets: [4, 6] },
    });
    const data = Buffer.alloc(6);
    data.writeUInt16LE(0x3c00, 0); // 1.0
    data.writeUInt16LE(0xc000, 2); // -2.0
    data.writeUInt16LE(0x4049, 4); // bf16 of 3.140625
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const { tensors } = decodeSafetensors(Buffer.concat([len, Buffer.from(header), data]));
    expect(Array.from(tensors.get("h")!.data)).toEqual([1, -2]);
    expect(tensors.get("g")!.data[0]).toBe(3.140625);
  });

  it("refuses unknown dtypes with the tensor's name", () => {
    const header = JSON.stringify({ x: { dtype: "I64", shape: [1], data_offsets: [0, 8] } });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    expect(() => decodeSafetensors(Buffer.concat([len, Buffer.from(header), Buffer.alloc(8)]), "f.safetensors")).toThrow(/f.safetensors: tensor x has dtype I64/);
  });
});
