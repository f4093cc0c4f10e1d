// `memeops operator` settings that are checked before the operator connects to anything.
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../cli/command.ts";
import { gpuResourceName, modelsClaim } from "../../../cli/commands/operator.ts";

describe("--gpu-resource-name", () => {
  it("takes an extended resource name", () => {
    expect(gpuResourceName("amd.com/gpu")).toBe("amd.com/gpu");
    expect(gpuResourceName("nvidia.com/mig-1g.10gb")).toBe("nvidia.com/mig-1g.10gb");
  });

  it.each([
    ["gpu", /DOMAIN\/NAME/],
    ["", /DOMAIN\/NAME|at least/],
    ["kubernetes.io/gpu", /kubernetes\.io domain/],
  ])("refuses %j with a usage error naming the flag and its variable", (value, why) => {
    let err: unknown;
    try {
      gpuResourceName(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^--gpu-resource-name \(env MEMEOPS_GPU_RESOURCE_NAME\): /);
    expect((err as Error).message).toMatch(why);
  });
});

describe("--models-claim", () => {
  it("takes a claim name; empty or unset means no models volume", () => {
    expect(modelsClaim("memeops-models")).toBe("memeops-models");
    expect(modelsClaim("")).toBeUndefined();
    expect(modelsClaim(undefined)).toBeUndefined();
  });

  it.each(["Models", "models_claim", "-models", "a".repeat(254)])("refuses %j with a usage error naming the flag and its variable", (value) => {
    expect(() => modelsClaim(value)).toThrow(UsageError);
    expect(() => modelsClaim(value)).toThrow(/^--models-claim \(env MEMEOPS_MODELS_CLAIM\): /);
  });
});
