// tfjs ops whose built-in gradients are slow or missing on the wasm/cpu backends (FIELD-NOTES, bench/ops-profile.ts):
//  - matMul's gradient uses transposeA/transposeB flags, 10-20x slower on wasm than an explicit transpose;
//  - gather's gradient needs UnsortedSegmentSum: no wasm kernel, seconds per step on cpu;
//  - a bias add's gradient sums dy over rows: wasm's Sum over a leading axis transposes dy first (~10x slower
//    than ones[1, M] @ dy).
// They get custom gradients there; other backends (tfjs-node, GPU) keep the built-in ones.
// matMul and linear also count their forward FLOPs while a counter is active (for the benchmarks' FLOP/s).
import * as tf from "@tensorflow/tfjs";

/** The backends whose tensors live in host memory and whose kernels these workarounds are for. */
export const needsWorkarounds = (): boolean => {
  const backend = tf.getBackend();
  return backend === "wasm" || backend === "cpu";
};

let flopCounter: { flops: number } | null = null;

/** Runs `fn` and returns the matmul FLOPs (2*M*N*K per product) its forward pass performed. */
export function countMatMulFlops(fn: () => void): number {
  const counter = { flops: 0 };
  flopCounter = counter;
  try {
    fn();
  } finally {
    flopCounter = null;
  }
  return counter.flops;
}

/** Swaps the last two axes (rank 2, 3 or 4). */
export function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = [...Array(x.rank).keys()];
  const n = x.rank;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1]!, perm[n - 2]!];
  return tf.transpose(x, perm);
}

const matMulExplicitGrad = tf.customGrad((...args) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy, saved) => {
      const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
      return [tf.matMul(dy as tf.Tensor, swapLast(sb)), tf.matMul(swapLast(sa), dy as tf.Tensor)];
    },
  };
});

function countFlops(a: tf.Tensor, b: tf.Tensor): void {
  if (!flopCounter) return;
  const m = a.shape[a.rank - 2]!;
  const k = a.shape[a.rank - 1]!;
  const n = b.shape[b.rank - 1]!;
  const batch = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  flopCounter.flops += 2 * batch * m * n * k;
}

/** Sum of a [M, N] matrix over its rows, as ones[1, M] @ x -> [N]. */
export function sumRows(x: tf.Tensor): tf.Tensor {
  const [m, n] = x.shape as [number, number];
  return tf.matMul(tf.ones([1, m]), x).reshape([n]);
}

/** a @ b over the last two axes, same batch shape (no broadcasting). */
export function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  countFlops(a, b);
  if (a.rank > 3) {
    // tfjs batches only rank 3 reliably: fold the leading axes.
    const lead = a.shape.slice(0, -2);
    const out = matMul(
      a.reshape([-1, a.shape[a.rank - 2]!, a.shape[a.rank - 1]!]),
      b.reshape([-1, b.shape[b.rank - 2]!, b.shape[b.rank - 1]!]),
    );
    return out.reshape([...lead, out.shape[1]!, out.shape[2]!]);
  }
  return needsWorkarounds() ? matMulExplicitGrad(a, b) : tf.matMul(a, b);
}

/** x [M, K] @ kernel [K, N] + bias [N] as one fused kernel (a separate broadcast add costs as much as a small
 * matmul on wasm); counts its FLOPs. */
export function linearForward(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  countFlops(x, kernel);
  return tf.fused.matMul({ a: x, b: kernel, bias }) as tf.Tensor2D;
}

/** Gradients of linearForward with explicit transposes: [dx, dkernel, dbias]. */
export function linearGrads(dy: tf.Tensor2D, x: tf.Tensor2D, kernel: tf.Tensor2D): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return [tf.matMul(dy, kernel.transpose()), tf.matMul(x.transpose(), dy), sumRows(dy)];
}

const linearExplicitGrad = tf.customGrad((...args) => {
  const [x, w, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: linearForward(x, w, bias),
    gradFunc: (dy, saved) => linearGrads(dy as tf.Tensor2D, ...(saved as [tf.Tensor2D, tf.Tensor2D])),
  };
});

/** x [M, K] @ kernel [K, N] + bias [N]. */
export function linear(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return needsWorkarounds() ? linearExplicitGrad(x, kernel, bias) as tf.Tensor2D : linearForward(x, kernel, bias);
}

/** Scatter-based gradient for a table lookup (values identical to gather's, FIELD-NOTES). */
const gatherScatterGrad = tf.customGrad((...args) => {
  const [t, ids, save] = args as [tf.Tensor2D, tf.Tensor, tf.GradSaveFunc];
  save([ids]);
  return {
    value: tf.gather(t, ids),
    gradFunc: (dy, saved) => {
      const [savedIds] = saved as [tf.Tensor];
      const width = t.shape[1];
      const flatIds = savedIds.reshape([-1, 1]).toInt();
      const flatDy = (dy as tf.Tensor).reshape([-1, width]);
      return [tf.scatterND(flatIds, flatDy, t.shape), tf.zerosLike(savedIds)];
    },
  };
});

/** table[ids]: rows of a [V, H] table for int32 ids of any shape -> [...ids.shape, H]. */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  return needsWorkarounds() ? gatherScatterGrad(table, ids) : tf.gather(table, ids);
}
