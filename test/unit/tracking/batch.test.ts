import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BATCH_LIMITS, chunkBatch, encodeMetric, keyProblem, pointId, type LogBatch, type Metric } from "../../../tracking/mlflow/batch.ts";

const metric = fc.record({
  key: fc.constantFrom("a", "b", "val_auroc"),
  value: fc.oneof(fc.double(), fc.constant(Number.NaN)),
  timestamp: fc.nat(),
  step: fc.nat(),
});
const kv = (max: number) => fc.record({ key: fc.string({ minLength: 1, maxLength: 20 }), value: fc.string({ maxLength: max }) });

describe("chunkBatch", () => {
  it("every chunk is within MLflow's limits, and nothing is lost, duplicated or reordered", () => {
    const limits = { metrics: 7, params: 3, tags: 2, items: 9, bytes: 4_000 };
    fc.assert(
      fc.property(fc.array(metric, { maxLength: 60 }), fc.array(kv(300), { maxLength: 20 }), fc.array(kv(300), { maxLength: 20 }), (metrics, params, tags) => {
        const chunks = chunkBatch({ metrics, params, tags }, limits);
        for (const c of chunks) {
          expect(c.metrics!.length).toBeLessThanOrEqual(limits.metrics);
          expect(c.params!.length).toBeLessThanOrEqual(limits.params);
          expect(c.tags!.length).toBeLessThanOrEqual(limits.tags);
          expect(c.metrics!.length + c.params!.length + c.tags!.length).toBeLessThanOrEqual(limits.items);
          const body = JSON.stringify({ run_id: "x".repeat(32), metrics: c.metrics!.map(encodeMetric), params: c.params, tags: c.tags });
          expect(Buffer.byteLength(body)).toBeLessThanOrEqual(limits.bytes);
          expect(c.metrics!.length + c.params!.length + c.tags!.length).toBeGreaterThan(0);
        }
        expect(chunks.flatMap((c) => c.metrics)).toEqual(metrics);
        expect(chunks.flatMap((c) => c.params)).toEqual(params);
        expect(chunks.flatMap((c) => c.tags)).toEqual(tags);
      }),
    );
  });

  it("2500 metrics make three requests at MLflow's real limits", () => {
    const metrics: Metric[] = Array.from({ length: 2500 }, (_, i) => ({ key: "m", value: i, timestamp: i, step: i }));
    expect(chunkBatch({ metrics }).map((c) => c.metrics!.length)).toEqual([1000, 1000, 500]);
    expect(BATCH_LIMITS).toEqual({ metrics: 1000, params: 100, tags: 100, items: 1000, bytes: 1_000_000 });
  });

  it("splits on bytes when values are large (150 tags of 8000 chars)", () => {
    const tags = Array.from({ length: 150 }, (_, i) => ({ key: `t${i}`, value: "x".repeat(8000) }));
    const chunks = chunkBatch({ tags } as LogBatch);
    for (const c of chunks) expect(Buffer.byteLength(JSON.stringify(c))).toBeLessThan(1_000_000);
    expect(chunks.length).toBe(2);
  });

  it("a single item over the request limit is an error, not an endless loop", () => {
    expect(() => chunkBatch({ tags: [{ key: "t", value: "x".repeat(2_000_000) }] })).toThrow(/over the 1000000-byte/);
  });
});

describe("encoding", () => {
  it("sends non-finite values as protobuf JSON strings", () => {
    expect(encodeMetric({ key: "k", value: Number.NaN, timestamp: 1, step: 2 }).value).toBe("NaN");
    expect(encodeMetric({ key: "k", value: -Infinity, timestamp: 1, step: 2 }).value).toBe("-Infinity");
    expect(encodeMetric({ key: "k", value: 0.5, timestamp: 1, step: 2 }).value).toBe(0.5);
  });

  it("identifies a point by key, step, timestamp and value; +inf matches the SQL store's max double", () => {
    const p = { key: "k", value: Infinity, timestamp: 1, step: 2 };
    expect(pointId(p)).toBe(pointId({ ...p, value: Number.MAX_VALUE }));
    expect(pointId({ ...p, value: Number.NaN })).toBe(pointId({ ...p, value: Number.NaN }));
    expect(pointId(p)).not.toBe(pointId({ ...p, step: 3 }));
  });

  it("rejects keys that are not safe file names in MLflow's file store", () => {
    for (const bad of ["", "../x", "/abs", "a//b", "a/./b", "x/", "semi;colon", "k".repeat(251)]) expect(keyProblem(bad)).toBeDefined();
    for (const good of ["val_auroc", "memeops.io/owner-uid", "mlflow.runName", "a b:c-d"]) expect(keyProblem(good)).toBeUndefined();
  });
});
