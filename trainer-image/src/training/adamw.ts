// AdamW (Loshchilov & Hutter; torch.optim.AdamW): Adam moments with bias correction, and weight decay applied to
// the weights directly (decoupled), not through the gradient. Biases and LayerNorm weights are not decayed
// (BERT's convention). Its state (moments, step) is plain named tensors, so checkpoints can hold it.
import * as tf from "@tensorflow/tfjs";
import type { Grads } from "./grad-clip.ts";

export interface AdamWSettings {
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export const ADAMW_DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** BERT's no-decay rule: biases and LayerNorm parameters. */
export function isDecayed(name: string): boolean {
  return !(name.endsWith(".bias") || /LayerNorm/.test(name));
}

export class AdamW {
  /** first and second moments per parameter name */
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  /** updates applied so far */
  step = 0;

  constructor(readonly settings: AdamWSettings) {}

  private moment(store: Map<string, tf.Variable>, name: string, like: tf.Tensor): tf.Variable {
    let m = store.get(name);
    if (!m) {
      m = tf.variable(tf.zerosLike(like), false);
      store.set(name, m);
    }
    return m;
  }

  apply(params: Map<string, tf.Variable>, grads: Grads, lr: number): void {
    this.step += 1;
    const { beta1, beta2, eps, weightDecay } = this.settings;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    for (const [name, g] of Object.entries(grads)) {
      const p = params.get(name);
      if (!p) throw new Error(`gradient for unknown parameter ${name}`);
      const m = this.moment(this.m, name, p);
      const v = this.moment(this.v, name, p);
      tf.tidy(() => {
        m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
        v.assign(v.mul(beta2).add(g.square().mul(1 - beta2)));
        const update = m.div(c1).div(v.div(c2).sqrt().add(eps)).mul(lr);
        const decayed = isDecayed(name) && weightDecay > 0 ? p.mul(1 - lr * weightDecay) : p;
        p.assign(decayed.sub(update));
      });
    }
  }

  /** Restores moments and step (from a checkpoint). */
  load(step: number, m: Map<string, tf.Tensor>, v: Map<string, tf.Tensor>): void {
    this.dispose();
    this.step = step;
    for (const [name, t] of m) this.m.set(name, tf.variable(t, false));
    for (const [name, t] of v) this.v.set(name, tf.variable(t, false));
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
