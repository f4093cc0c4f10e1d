// A stand-in for the API server's validation of a MemeExperiment spec, built only from the generated CRD schema:
// strict field validation (unknown fields rejected), defaulting, OpenAPI checks (ajv), then the CEL rules (cel-js).
// The property test compares its verdict with zod's; test/cluster proves the real API server agrees too.
import { evaluate } from "@marcbachmann/cel-js";
import { Ajv } from "ajv";

type Node = Record<string, any>;

/** OpenAPI 3.0 / Kubernetes dialect -> JSON Schema draft-07 for ajv, with unknown fields rejected. */
function toAjvSchema(node: Node): Node {
  const out: Node = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith("x-kubernetes-")) continue;
    out[k] = v;
  }
  for (const [bound, flag] of [["minimum", "exclusiveMinimum"], ["maximum", "exclusiveMaximum"]] as const) {
    if (out[flag] === true) {
      out[flag] = out[bound];
      delete out[bound];
    } else if (out[flag] === false) delete out[flag];
  }
  if (out.properties) {
    out.properties = Object.fromEntries(Object.entries(out.properties as Node).map(([k, v]) => [k, toAjvSchema(v)]));
    out.additionalProperties = false;
  }
  if (out.items) out.items = toAjvSchema(out.items);
  if (out.anyOf) out.anyOf = (out.anyOf as Node[]).map(toAjvSchema);
  if (typeof out.additionalProperties === "object") out.additionalProperties = toAjvSchema(out.additionalProperties);
  return out;
}

/** CEL sees integers as int and other numbers as double, as the API server types them from the schema. */
function celValue(schema: Node, value: unknown): unknown {
  if (schema.type === "integer" && typeof value === "number") return BigInt(value);
  if (Array.isArray(value)) return value.map((v) => celValue(schema.items ?? {}, v));
  if (value && typeof value === "object") {
    const props = (schema.properties ?? {}) as Node;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, celValue(props[k] ?? schema.additionalProperties ?? {}, v)]),
    );
  }
  return value;
}

function celFailures(schema: Node, value: unknown, path: string): string[] {
  if (value === undefined) return [];
  const failures: string[] = [];
  for (const v of (schema["x-kubernetes-validations"] ?? []) as { rule: string; message: string }[]) {
    if (v.rule.includes("oldSelf")) continue; // transition rules need a previous object
    if (evaluate(v.rule, { self: celValue(schema, value) }) !== true) failures.push(`${path}: ${v.message}`);
  }
  if (schema.properties && value && typeof value === "object") {
    for (const [k, sub] of Object.entries(schema.properties as Node)) {
      failures.push(...celFailures(sub, (value as Node)[k], `${path}.${k}`));
    }
  }
  if (schema.items && Array.isArray(value)) value.forEach((v, i) => failures.push(...celFailures(schema.items, v, `${path}[${i}]`)));
  return failures;
}

export function serverEmulator(specSchema: Node) {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  const validate = ajv.compile(toAjvSchema(specSchema));
  /** The verdict, and the spec as the server would store it (defaults applied). */
  return (spec: unknown): { ok: boolean; errors: string[]; defaulted: unknown } => {
    const defaulted = structuredClone(spec);
    if (!validate(defaulted)) {
      const errors = (validate.errors ?? []).map((e) => `spec${e.instancePath.replaceAll("/", ".")}: ${e.message}`);
      return { ok: false, errors, defaulted };
    }
    const errors = celFailures(specSchema, defaulted, "spec");
    return { ok: errors.length === 0, errors, defaulted };
  };
}
