// The CRDs and the runtime cannot drift apart: for generated specs of each kind, zod's verdict equals the verdict of
// the generated CRD schema (OpenAPI checks with ajv, then its CEL rules with cel-js).
// Two things the CRD cannot check are left to the runtime: a sweep's categorical values are untyped in the CRD (CEL
// cannot type a string-number-boolean union), so the generators only draw scalars there; and the status size budget
// (sweep-status-budget.ts) is the runtime's alone, so the generators' short parameters stay far below it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { crd, type KindKey } from "../../../api/v1alpha1/crd.ts";
import { memeExperimentSpec } from "../../../api/v1alpha1/spec.ts";
import { memeSweepSpec } from "../../../api/v1alpha1/sweep-spec.ts";
import { serverEmulator } from "./server-emulation.ts";
import { specArbitrary } from "./spec-arbitrary.ts";
import { sweepSpecArbitrary } from "./sweep-arbitrary.ts";

const kinds: [KindKey, z.ZodType, fc.Arbitrary<unknown>][] = [
  ["memeexperiment", memeExperimentSpec, specArbitrary],
  ["memesweep", memeSweepSpec, sweepSpecArbitrary],
];

describe.each(kinds)("%s: zod schema and generated CRD schema", (kind, schema, arbitrary) => {
  const server = serverEmulator(crd(kind).spec.versions[0]!.schema.openAPIV3Schema.properties.spec);

  it("give the same verdict on generated specs", () => {
    let valid = 0;
    fc.assert(
      fc.property(arbitrary, (spec) => {
        const runtime = schema.safeParse(spec);
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
      fc.property(arbitrary, (spec) => {
        const runtime = schema.safeParse(spec);
        const crd = server(spec);
        if (runtime.success && crd.ok) expect(crd.defaulted).toEqual(runtime.data);
      }),
      { numRuns: 1000, seed: 7 },
    );
  });
});
