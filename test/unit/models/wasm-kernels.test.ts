// The wasm backend's buffer-sharing Identity and Cast (wasm-kernels.ts): same values as a copy, no new buffer, and a
// shared buffer outlives whichever of its tensors is disposed first. Casts that change the dtype still convert.
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { shareBuffersOnWasm } from "../../../trainer-image/src/models/layers/wasm-kernels.ts";
import { useWasm } from "../training/wasm.ts";

beforeAll(async () => {
  await useWasm();
  shareBuffersOnWasm();
});

describe("buffer-sharing Identity and Cast on wasm", () => {
  it("clone shares the buffer and keeps it alive after the original is disposed", () => {
    expect(tf.getBackend()).toBe("wasm");
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const buffers = tf.memory().numDataBuffers;
    const y = x.clone();
    const z = x.toFloat(); // float32 -> float32
    expect(tf.memory().numDataBuffers).toBe(buffers);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    y.dispose();
    expect(Array.from(z.dataSync())).toEqual([1, 2, 3, 4]);
    z.dispose();
    expect(tf.memory().numDataBuffers).toBe(buffers - 1);
  });

  it("casts that change the dtype still convert into a new buffer", () => {
    const x = tf.tensor1d([1.7, -2.2, 3]);
    const i = x.toInt();
    expect(i.dtype).toBe("int32");
    expect(Array.from(i.dataSync())).toEqual([1, -2, 3]);
    const f = i.toFloat();
    expect(f.dtype).toBe("float32");
    expect(Array.from(f.dataSync())).toEqual([1, -2, 3]);
    tf.dispose([x, i, f]);
  });

  it("saved tensors of a gradient stay valid (a variable's gradient through a chain of saved inputs)", () => {
    const v = tf.variable(tf.tensor1d([0.5, -1, 2]));
    const { value, grads } = tf.variableGrads(() => v.square().mul(v).sum() as tf.Scalar, [v]);
    expect(value.dataSync()[0]).toBeCloseTo(0.125 - 1 + 8, 5);
    const g = Array.from(grads[v.name]!.dataSync());
    [0.75, 3, 12].forEach((want, k) => expect(g[k]).toBeCloseTo(want, 5));
    tf.dispose([value, ...Object.values(grads), v]);
  });
});
