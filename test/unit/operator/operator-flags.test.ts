// `memeops operator` settings that are checked before the operator connects to anything.
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../cli/command.ts";
import { gpuResourceName } from "../../../cli/commands/operator.ts";

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
