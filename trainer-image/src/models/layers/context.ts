// What a forward pass needs besides its inputs: whether it trains (dropout on) and where dropout seeds come from.
import { deriveSeed } from "../../common/rng.ts";

export class ForwardContext {
  private calls = 0;
  constructor(
    readonly training: boolean,
    private readonly seed = 0,
  ) {}
  /** A fresh seed per dropout call: deterministic given (seed, call order). */
  nextSeed(): number {
    return deriveSeed(this.seed, this.calls++);
  }
}
