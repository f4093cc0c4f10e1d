// zod's JSON Schema (OpenAPI 3.0 dialect) -> a Kubernetes *structural* schema, as CRDs require:
// no additionalProperties:false (the API server prunes, and strict field validation reports unknown fields),
// no unions except int-or-string, no JSON Schema keywords the API server does not know.
import { z } from "zod";
import { TEXT } from "./stored-json.ts";

type Node = Record<string, unknown>;
const SAFE_INT = Number.MAX_SAFE_INTEGER;
const INT_OR_STRING = "x-memeops-int-or-string";
const SCALAR = "x-memeops-scalar";

export function toStructuralSchema(schema: z.ZodType): Node {
  const json = z.toJSONSchema(schema, { io: "input", target: "openapi-3.0", unrepresentable: "throw" }) as Node;
  delete json.$schema;
  return structural(json, "");
}

function structural(node: Node, path: string): Node {
  const out: Node = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "additionalProperties" && value === false) continue;
    if (key === "propertyNames" || key === "id" || key === TEXT) continue; // TEXT: a byte bound only the runtime checks
    if ((key === "maximum" && value === SAFE_INT) || (key === "minimum" && value === -SAFE_INT)) continue;
    out[key] = value;
  }
  if (out[INT_OR_STRING]) {
    // Kubernetes' own spelling of a quantity: both branches typed, the flag set. Each branch's bounds move to the
    // top level, where JSON Schema applies numeric keywords to numbers only and string keywords to strings only.
    const lifted: Node = {};
    for (const branch of (out.anyOf as Node[]) ?? []) {
      const { type: _type, ...bounds } = structural(branch, path);
      Object.assign(lifted, bounds);
    }
    delete out[INT_OR_STRING];
    delete out.anyOf;
    delete out.type;
    return { ...out, ...lifted, "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] };
  }
  if (out[SCALAR]) {
    // A string, number or boolean: untyped in the CRD, its CEL rule (kept) checks the type.
    const { anyOf: _a, [SCALAR]: _s, ...rest } = out;
    return { ...rest, "x-kubernetes-preserve-unknown-fields": true };
  }
  if (out.anyOf || out.oneOf || out.allOf) {
    throw new Error(`${path || "(root)"}: unions are not structural; use optional fields with an exactly-one-of rule`);
  }
  if (out.properties) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties as Record<string, Node>).map(([k, v]) => [k, structural(v, `${path}.${k}`)]),
    );
  }
  if (out.items) out.items = structural(out.items as Node, `${path}[]`);
  if (isPlainObject(out.default) && out.properties) out.default = withNestedDefaults(out.default, out);
  if (typeof out.additionalProperties === "object") {
    out.additionalProperties = structural(out.additionalProperties as Node, `${path}{}`);
  }
  return out;
}

const isPlainObject = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `default: {}` spelled out with its fields' defaults. The API server checks a default against the object's CEL
 * rules as written, without defaulting inside it first, so `{}` fails a rule such as `self.regions in [...]`.
 */
function withNestedDefaults(value: Node, schema: Node): Node {
  const out: Node = { ...value };
  for (const [key, prop] of Object.entries((schema.properties ?? {}) as Record<string, Node>)) {
    if (out[key] === undefined && prop.default !== undefined) out[key] = structuredClone(prop.default);
    else if (isPlainObject(out[key]) && prop.properties) out[key] = withNestedDefaults(out[key], prop);
  }
  return out;
}
