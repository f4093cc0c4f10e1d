// The CRD and the runtime cannot drift apart: for generated specs, zod's verdict equals the verdict of the
// generated CRD schema (OpenAPI checks with ajv, then its CEL rules with cel-js).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { memeExperimentCrd } from "../../../api/v1alpha1/crd.ts";
import { memeExperimentSpec } from "../../../api/v1alpha1/spec.ts";
import { serverEmulator } from "./server-emulation.ts";
import { specArbitrary } from "./spec-arbitrary.ts";

const specSchema = memeExperimentCrd().spec.versions[0]!.schema.openAPIV3Schema.properties.spec;
const server = serverEmulator(specSchema);

describe("zod schema and generated CRD schema", () => {
  it("give the same verdict on generated specs", () => {
    let valid = 0;
    fc.assert(
      fc.property(specArbitrary, (spec) => {
        const runtime = memeExperimentSpec.safeParse(spec);
        const crd = server(spec);
        if (runtime.success !== crd.ok) {
          throw new Error(
            `verdicts differ for ${JSON.stringify(spec)}\n zod: ${runtime.success ? "valid" : JSON.stringify(runtime.error.issues)}\n crd: ${crd.ok ? "valid" : crd.errors.join("; ")}`,
          );
        }
        if (runtime.success) valid++;
      }),
      { numRuns: 3000, seed: 20261127 },
    );
    // The generator must reach both sides of the boundary, or the agreement proves little.
    expect(valid).toBeGreaterThan(30);
    expect(valid).toBeLessThan(2970);
  });

  it("apply the same defaults", () => {
    fc.assert(
      fc.property(specArbitrary, (spec) => {
        const runtime = memeExperimentSpec.safeParse(spec);
        const crd = server(spec);
        if (runtime.success && crd.ok) expect(crd.defaulted).toEqual(runtime.data);
      }),
      { numRuns: 1000, seed: 7 },
    );
  });
});
