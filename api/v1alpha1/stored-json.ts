// How many bytes a value takes where the API server keeps it, and the largest that a schema lets it take. etcd holds a
// custom resource as JSON written in Go, whose encoding/json by default escapes more than JSON.stringify (<, >, &,
// U+2028 and U+2029 as \u00XX): each character is counted at the larger of the two. And the API server bounds strings
// in characters, not bytes: one character can cost 6 bytes.
import { z } from "zod";

type Node = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The most bytes one character of a string takes as stored JSON (a control character or `<` as \u00XX). */
export const MAX_BYTES_PER_CHAR = 6;
/** The longest JSON a number has, in Go and JavaScript alike: -0.0000012345678901234567 (17 digits, 5 zeros). */
export const LONGEST_NUMBER = 25;
/** Marks a `text()` string in the JSON schema: stored, it takes at most maxLength bytes, quotes aside. */
export const TEXT = "x-memeops-text";

function charBytes(cp: number): number {
  if (cp === 0x22 || cp === 0x5c || cp === 0x0a || cp === 0x0d || cp === 0x09) return 2;
  if (cp < 0x20 || cp === 0x3c || cp === 0x3e || cp === 0x26 || cp === 0x2028 || cp === 0x2029) return 6;
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp >= 0xd800 && cp <= 0xdfff) return 6; // a lone surrogate: JSON.stringify writes \udxxx
  return cp < 0x10000 ? 3 : 4;
}

/** A string's bytes as a JSON string literal, quotes included: the larger of Go's and JavaScript's escaping. */
export function storedStringBytes(s: string): number {
  let bytes = 2;
  for (const ch of s) bytes += charBytes(ch.codePointAt(0)!);
  return bytes;
}

/** A JSON value's bytes as stored (undefined members left out, as JSON leaves them). */
export function storedJsonBytes(value: unknown): number {
  if (typeof value === "string") return storedStringBytes(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return JSON.stringify(value).length;
  if (Array.isArray(value)) return 2 + value.reduce((sum: number, v) => sum + storedJsonBytes(v), 0) + Math.max(0, value.length - 1);
  if (typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return 2 + entries.reduce((sum, [k, v]) => sum + storedStringBytes(k) + 1 + storedJsonBytes(v), 0) + Math.max(0, entries.length - 1);
  }
  throw new Error(`not a JSON value: ${typeof value}`);
}

/**
 * A string of at most `max` characters that also takes at most `max` bytes stored (quotes aside), so a status made of
 * them has a size known in bytes. The CRD can check the characters only: the operator, its only writer, clips with
 * clipText.
 */
export const text = (max: number, min = 0) =>
  (min ? z.string().min(min) : z.string())
    .max(max)
    .refine((s) => storedStringBytes(s) - 2 <= max, `must take at most ${max} bytes as stored JSON (escapes and UTF-8 count)`)
    .meta({ [TEXT]: true });

/** `s` cut to fit text(max), with "..." where it was cut. */
export function clipText(s: string, max: number): string {
  if (s.length <= max && storedStringBytes(s) - 2 <= max) return s;
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    const b = charBytes(ch.codePointAt(0)!);
    if (bytes + b > max - 3 || out.length + ch.length > max - 3) break;
    out += ch;
    bytes += b;
  }
  return `${out}...`;
}

/** What the walk cannot read from the schema: a record's size, an array's length other than its maxItems. */
export interface SizeBounds {
  /** bytes of the record (additionalProperties object) at this path, e.g. `.trials[].parameters` */
  record?: (path: string) => number;
  /** items of the array at this path, in place of its maxItems */
  maxItems?: (path: string) => number | undefined;
}

const jsonSchemas = new WeakMap<z.ZodType, Node>();
function jsonSchemaOf(schema: z.ZodType): Node {
  let json = jsonSchemas.get(schema);
  if (!json) jsonSchemas.set(schema, (json = z.toJSONSchema(schema, { io: "input", target: "openapi-3.0", unrepresentable: "throw" }) as Node));
  return json;
}

/**
 * The most bytes a value that `schema` accepts can take stored: every optional field present, every string, number
 * and list at its maximum. A string or list without a maximum is refused: it has no bound.
 */
export function maxStoredBytes(schema: z.ZodType, bounds: SizeBounds = {}): number {
  return walk(jsonSchemaOf(schema), bounds, "");
}

function walk(node: Node, b: SizeBounds, path: string): number {
  if (Array.isArray(node.enum)) return Math.max(...node.enum.map(storedJsonBytes));
  if (Array.isArray(node.anyOf)) return Math.max(...node.anyOf.map((n: Node) => walk(n, b, path)));
  switch (node.type) {
    case "string":
      if (typeof node.maxLength !== "number") throw new Error(`${path || "(root)"}: a string without maxLength has no size bound`);
      return 2 + node.maxLength * (node[TEXT] ? 1 : MAX_BYTES_PER_CHAR);
    case "integer":
      return Math.max(String(node.minimum ?? -Number.MAX_SAFE_INTEGER).length, String(node.maximum ?? Number.MAX_SAFE_INTEGER).length);
    case "number":
      return LONGEST_NUMBER;
    case "boolean":
      return "false".length;
    case "array": {
      const n = b.maxItems?.(path) ?? node.maxItems;
      if (typeof n !== "number") throw new Error(`${path}: a list without maxItems has no size bound`);
      return 2 + n * walk(node.items as Node, b, `${path}[]`) + Math.max(0, n - 1);
    }
    case "object": {
      if (node.properties) {
        const entries = Object.entries(node.properties as Record<string, Node>);
        return 2 + entries.reduce((sum, [k, v]) => sum + storedStringBytes(k) + 1 + walk(v, b, `${path}.${k}`), 0) + Math.max(0, entries.length - 1);
      }
      if (node.additionalProperties && b.record) return b.record(path);
      throw new Error(`${path || "(root)"}: a record has no size bound unless one is given`);
    }
  }
  throw new Error(`${path || "(root)"}: no size bound for ${JSON.stringify(node).slice(0, 80)}`);
}
