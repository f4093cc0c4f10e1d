// Finite-difference checks of the gradients the wasm backend runs with: the custom matMul, dense (fused bias) and
// embedding (gather) gradients, LayerNorm's and GeLU's closed-form gradients and multi-head attention. Central differences in float32 with eps 1e-2 and a loss that is
// a fixed random projection of the output.
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { embeddingLookup, matMul } from "../../../trainer-image/src/models/layers/kernels.ts";
import { Dense } from "../../../trainer-image/src/models/layers/dense.ts";
import { LayerNorm } from "../../../trainer-image/src/models/layers/layer-norm.ts";
import { dropout } from "../../../trainer-image/src/models/layers/dropout.ts";
import { gelu } from "../../../trainer-image/src/models/layers/gelu.ts";
import { ResidualOutput, SelfAttention } from "../../../trainer-image/src/models/layers/attention.ts";
import { ParamStore } from "../../../trainer-image/src/models/layers/params.ts";
import { ForwardContext } from "../../../trainer-image/src/models/layers/context.ts";
import { MASKED } from "../../../trainer-image/src/models/layers/inputs.ts";
import { useWasm } from "../training/wasm.ts";

beforeAll(useWasm);

/** Compares d f / d x (analytic, tf.grad) with central differences at every coordinate of x. */
function checkGradient(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, eps = 1e-2, tol = 2e-3): void {
  const analytic = tf.tidy(() => tf.grad(f)(x).dataSync());
  const values = x.dataSync().slice();
  const at = (i: number, delta: number) =>
    tf.tidy(() => {
      const v = values.slice();
      v[i] = v[i]! + delta;
      return f(tf.tensor(v, x.shape)).dataSync()[0]!;
    });
  for (let i = 0; i < values.length; i++) {
    const numeric = (at(i, eps) - at(i, -eps)) / (2 * eps);
    expect(Math.abs(numeric - analytic[i]!), `coordinate ${i}: numeric ${numeric} vs analytic ${analytic[i]}`).toBeLessThan(
      tol * Math.max(1, Math.abs(numeric)),
    );
  }
}

/** The same for a variable the loss reads (a layer's weight): analytic by tf.variableGrads, numeric by assign. */
function checkVariableGradient(f: () => tf.Scalar, v: tf.Variable, eps = 1e-2, tol = 2e-3): void {
  const { value, grads } = tf.variableGrads(f, [v]);
  const analytic = grads[v.name]!.dataSync().slice();
  tf.dispose([value, ...Object.values(grads)]);
  const values = v.dataSync().slice();
  const at = (i: number, delta: number) => {
    const moved = values.slice();
    moved[i] = moved[i]! + delta;
    tf.tidy(() => v.assign(tf.tensor(moved, v.shape)));
    return tf.tidy(() => f().dataSync()[0]!);
  };
  for (let i = 0; i < values.length; i++) {
    const numeric = (at(i, eps) - at(i, -eps)) / (2 * eps);
    expect(Math.abs(numeric - analytic[i]!), `coordinate ${i}: numeric ${numeric} vs analytic ${analytic[i]}`).toBeLessThan(
      tol * Math.max(1, Math.abs(numeric)),
    );
  }
  tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
}

/** A scalar loss that weighs every output element differently, so no gradient cancels by symmetry. */
const projection = (shape: number[]) => tf.randomNormal(shape, 0, 1, "float32", 7);

describe("gradients (finite differences)", () => {
  it("matMul with explicit-transpose gradient, rank 2 and batched", () => {
    const b = tf.randomNormal([3, 4], 0, 1, "float32", 1);
    const w = projection([2, 4]);
    checkGradient((a) => matMul(a, b).mul(w).sum(), tf.randomNormal([2, 3], 0, 1, "float32", 2));
    const a3 = tf.randomNormal([2, 2, 3], 0, 1, "float32", 3);
    const w3 = projection([2, 2, 4]);
    checkGradient((b3) => matMul(a3, b3).mul(w3).sum(), tf.randomNormal([2, 3, 4], 0, 1, "float32", 4));
  });

  it("embedding lookup's scatter gradient sums repeated ids", () => {
    const ids = tf.tensor2d([[0, 2, 2], [4, 0, 1]], [2, 3], "int32");
    const w = projection([2, 3, 3]);
    checkGradient((table) => embeddingLookup(table as tf.Tensor2D, ids).mul(w).sum(), tf.randomNormal([5, 3], 0, 1, "float32", 5));
    // and by hand: row r of the gradient is the sum of w over the positions holding id r
    const table = tf.randomNormal([5, 3], 0, 1, "float32", 6);
    const ours = tf.grad((t: tf.Tensor) => embeddingLookup(t as tf.Tensor2D, ids).mul(w).sum())(table).arraySync() as number[][];
    const wv = w.arraySync() as number[][][];
    const expected = Array.from({ length: 5 }, () => [0, 0, 0]);
    (ids.arraySync() as number[][]).forEach((row, b) => row.forEach((id, t) => wv[b]![t]!.forEach((x, h) => (expected[id]![h]! += x))));
    ours.forEach((row, r) => row.forEach((g, h) => expect(g).toBeCloseTo(expected[r]![h]!, 5)));
  });

  it("dense layer with its fused bias (input, kernel and bias, rank 3 input)", () => {
    const p = new ParamStore(4, 0.5);
    const dense = new Dense(p, "d", 3, 5);
    tf.tidy(() => dense.bias.assign(tf.randomNormal([5], 0, 1, "float32", 20)));
    const w = projection([2, 4, 5]);
    checkGradient((x) => dense.apply(x).mul(w).sum(), tf.randomNormal([2, 4, 3], 0, 1, "float32", 21));
    const x = tf.randomNormal([2, 4, 3], 0, 1, "float32", 22);
    checkVariableGradient(() => dense.apply(x).mul(w).sum(), dense.kernel);
    checkVariableGradient(() => dense.apply(x).mul(w).sum(), dense.bias);
    p.dispose();
  });

  it("LayerNorm (input, weight and bias, rank 3 input)", () => {
    const p = new ParamStore(1);
    const ln = new LayerNorm(p, "ln", 4);
    tf.tidy(() => ln.weight.assign(tf.tensor1d([1.5, -0.5, 1, 2])));
    const w = projection([2, 3, 4]);
    checkGradient((x) => ln.apply(x).mul(w).sum(), tf.randomNormal([2, 3, 4], 0, 1, "float32", 8));
    const x = tf.randomNormal([2, 3, 4], 0, 1, "float32", 9);
    checkVariableGradient(() => ln.apply(x).mul(w).sum(), ln.weight);
    checkVariableGradient(() => ln.apply(x).mul(w).sum(), ln.bias);
    p.dispose();
  });

  it("GeLU (erf form), across negative, small and large inputs", () => {
    const x = tf.tensor1d([-4, -2.5, -1, -0.3, -0.01, 0, 0.02, 0.5, 1.2, 3, 5]);
    const w = projection([11]);
    checkGradient((v) => gelu(v).mul(w).sum(), x, 1e-2, 2e-3);
    // and the values: x * Phi(x), with Phi(-1) = 0.15865525, Phi(1.2) = 0.88493033
    const y = gelu(tf.tensor1d([-1, 0, 1.2])).dataSync();
    expect(y[0]).toBeCloseTo(-0.15865525, 6);
    expect(y[1]).toBe(0);
    expect(y[2]).toBeCloseTo(1.2 * 0.88493033, 6);
  });

  it("residual output sublayer (one op) in training: equals its pieces; input, residual, weight gradients", () => {
    const p = new ParamStore(5, 0.5);
    const out = new ResidualOutput(p, "o", 6, 4, 0.3);
    tf.tidy(() => out.norm.weight.assign(tf.tensor1d([1.2, -0.7, 0.9, 1.5])));
    const ctx = () => new ForwardContext(true, 7); // the same dropout mask on every call
    const x = tf.randomNormal([2, 3, 6], 0, 1, "float32", 30);
    const residual = tf.randomNormal([2, 3, 4], 0, 1, "float32", 31);
    const fused = out.apply(x, residual, ctx()).dataSync();
    const c = ctx();
    const pieces = out.norm.apply(dropout(out.dense.apply(x), 0.3, c).add(residual)).dataSync();
    expect(Array.from(fused)).toEqual(Array.from(pieces));
    const w = projection([2, 3, 4]);
    checkGradient((v) => out.apply(v, residual, ctx()).mul(w).sum(), x);
    checkGradient((r) => out.apply(x, r, ctx()).mul(w).sum(), residual);
    for (const v of [out.dense.kernel, out.dense.bias, out.norm.weight, out.norm.bias]) {
      checkVariableGradient(() => out.apply(x, residual, ctx()).mul(w).sum(), v);
    }
    p.dispose();
  });

  it("multi-head self-attention with a padding mask (input and query kernel)", () => {
    const p = new ParamStore(3);
    const att = new SelfAttention(p, "att", 4, { heads: 2, size: 4, dropout: 0 }, 0);
    // make the attention non-uniform: larger query/key weights than BERT's init
    tf.tidy(() => {
      att.query.kernel.assign(tf.randomNormal([4, 4], 0, 0.7, "float32", 10));
      att.key.kernel.assign(tf.randomNormal([4, 4], 0, 0.7, "float32", 11));
    });
    const mask = tf.tensor4d([0, 0, MASKED, 0, 0, 0], [2, 1, 1, 3]);
    const w = projection([2, 3, 4]);
    const ctx = new ForwardContext(false);
    checkGradient((x) => att.apply(x, mask, ctx).mul(w).sum(), tf.randomNormal([2, 3, 4], 0, 1, "float32", 12));
    const x = tf.randomNormal([2, 3, 4], 0, 1, "float32", 13);
    checkVariableGradient(() => att.apply(x, mask, ctx).mul(w).sum(), att.query.kernel);
    p.dispose();
  });
});
