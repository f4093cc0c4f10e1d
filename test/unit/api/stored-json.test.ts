// The sizes the sweep's status budget rests on: a string's stored bytes are never below what JSON.stringify writes
// (and count Go's extra escapes), clipText always fits text(), and the schema walk refuses what it cannot bound.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { clipText, LONGEST_NUMBER, maxStoredBytes, storedJsonBytes, storedStringBytes, text } from "../../../api/v1alpha1/stored-json.ts";

const nasty = fc.string({ unit: fc.constantFrom("a", "<", "&", "\u0001", "\n", '"', "\\", "é", "€", "😀", "\u2028", "\ud800"), maxLength: 300 });
const anyString = fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), nasty);

describe("stored JSON bytes", () => {
  it("are at least JSON.stringify's UTF-8 bytes, for any string and any JSON value", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(storedStringBytes(s)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(s)));
      }),
      { numRuns: 2000, seed: 14 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(storedJsonBytes(v)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(v)));
      }),
      { numRuns: 500, seed: 15 },
    );
  });

  it("count what Go's encoding/json escapes beyond JSON.stringify: <, >, & and U+2028 as \\u00XX", () => {
    expect(storedStringBytes("<a&b>")).toBe(2 + 6 + 1 + 6 + 1 + 6);
    expect(storedStringBytes("\u2028")).toBe(2 + 6);
    expect(storedStringBytes("\u0001")).toBe(Buffer.byteLength(JSON.stringify("\u0001")));
  });

  it("no number's JSON is longer than LONGEST_NUMBER", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(JSON.stringify(x).length).toBeLessThanOrEqual(LONGEST_NUMBER);
      }),
      { numRuns: 5000, seed: 16 },
    );
    expect(JSON.stringify(-0.0000012345678901234567)).toHaveLength(LONGEST_NUMBER);
  });
});

describe("clipText", () => {
  it("fits any string into text(max): a prefix, marked where cut, untouched when it fits", () => {
    const t = text(64);
    fc.assert(
      fc.property(anyString, (s) => {
        const c = clipText(s, 64);
        expect(t.safeParse(c).success).toBe(true);
        if (t.safeParse(s).success) expect(c).toBe(s);
        else expect(s.startsWith(c.slice(0, -3)) && c.endsWith("...")).toBe(true);
      }),
      { numRuns: 2000, seed: 17 },
    );
  });
});

describe("maxStoredBytes", () => {
  it("bounds what the schema accepts, and refuses a string or list without a maximum", () => {
    const s = z.strictObject({ a: text(10), b: z.string().max(10), c: z.array(z.boolean()).max(3), d: z.int().min(-5).max(100).optional() });
    const worst = { a: "x".repeat(10), b: "\u0001".repeat(10), c: [false, false, false], d: 100 };
    expect(s.parse(worst)).toEqual(worst);
    expect(maxStoredBytes(s)).toBe(storedJsonBytes(worst));
    expect(() => maxStoredBytes(z.object({ a: z.string() }))).toThrow("without maxLength");
    expect(() => maxStoredBytes(z.object({ a: z.array(z.int().max(3)) }))).toThrow("without maxItems");
    expect(() => maxStoredBytes(z.object({ a: z.record(z.string(), z.int()) }))).toThrow("record");
  });
});
