// Dense (affine) layer: x W + b over the last axis, the piece every block is made of.
import * as tf from "@tensorflow/tfjs";
import type { ParamStore } from "./params.ts";
import { linear } from "./kernels.ts";

export class Dense {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  constructor(p: ParamStore, name: string, readonly inSize: number, readonly outSize: number) {
    this.kernel = p.create(`${name}.kernel`, [inSize, outSize], p.normal);
    this.bias = p.create(`${name}.bias`, [outSize], { kind: "zeros" });
  }
  /** x: [..., in] -> [..., out] */
  apply(x: tf.Tensor): tf.Tensor {
    const lead = x.shape.slice(0, -1);
    const y = linear(x.reshape([-1, this.inSize]) as tf.Tensor2D, this.kernel as tf.Tensor2D, this.bias as tf.Tensor1D);
    return y.reshape([...lead, this.outSize]);
  }
}
