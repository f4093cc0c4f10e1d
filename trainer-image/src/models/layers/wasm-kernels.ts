// The wasm backend's Identity and same-dtype Cast copy the whole buffer. tfjs runs Identity to save every tensor a
// gradient needs (engine.clone), ~700 times per training step of the tiny ViLBERT. Tensors are immutable (a
// Variable's assign swaps buffers), so sharing the buffer with a reference count, as wasm's Reshape and the cpu
// backend's Identity do, gives the same values without the copy.
import * as tf from "@tensorflow/tfjs";

let patched = false;

function sharingKernel(kernelName: string): tf.KernelConfig {
  const original = tf.getKernel(kernelName, "wasm");
  return {
    ...original,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const dtype = (args.attrs?.dtype as tf.DataType | undefined) ?? x.dtype;
      if (dtype !== x.dtype || x.dtype === "string") return original.kernelFunc(args);
      (args.backend as tf.KernelBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  };
}

/** Installs the buffer-sharing Identity and Cast once, when the wasm backend is active. */
export function shareBuffersOnWasm(): void {
  if (patched) return;
  patched = true;
  for (const name of [tf.Identity, tf.Cast]) {
    const kernel = sharingKernel(name);
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(kernel);
  }
}
