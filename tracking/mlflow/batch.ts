// runs/log-batch payloads: the entity types, the JSON encoding MLflow accepts (NaN/Infinity as
// strings, as protobuf JSON does), and chunking within the server's per-request limits.

export interface Metric {
  key: string;
  value: number;
  /** Milliseconds since the epoch. Fixed when the point is made, so a resend is recognisable. */
  timestamp: number;
  step: number;
}
export interface KeyValue {
  key: string;
  value: string;
}
export interface LogBatch {
  metrics?: Metric[];
  params?: KeyValue[];
  tags?: KeyValue[];
}

/** MLflow's limits (mlflow/utils/validation.py). */
export const BATCH_LIMITS = {
  metrics: 1000,
  params: 100,
  tags: 100,
  items: 1000,
  bytes: 1_000_000,
} as const;
export type BatchLimits = { [K in keyof typeof BATCH_LIMITS]: number };

export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 8000;
export const MAX_KEY_LENGTH = 250;

export function encodeValue(v: number): number | string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  return v;
}

export function decodeValue(v: number | string): number {
  return typeof v === "number" ? v : Number(v);
}

export function encodeMetric(m: Metric): { key: string; value: number | string; timestamp: number; step: number } {
  return { key: m.key, value: encodeValue(m.value), timestamp: m.timestamp, step: m.step };
}

export function batchSize(b: LogBatch): number {
  return (b.metrics?.length ?? 0) + (b.params?.length ?? 0) + (b.tags?.length ?? 0);
}

// Room for {"run_id":"...","metrics":[],"params":[],"tags":[]} and a safety margin.
const ENVELOPE_BYTES = 512;

/**
 * Splits a batch into requests that each respect every limit. Params go first, then tags, then
 * metrics, so a params conflict fails before any metric of the same request is written.
 * Order within each kind is kept.
 */
export function chunkBatch(b: LogBatch, limits: BatchLimits = BATCH_LIMITS): LogBatch[] {
  const chunks: LogBatch[] = [];
  let cur = { metrics: [] as Metric[], params: [] as KeyValue[], tags: [] as KeyValue[] };
  let bytes = ENVELOPE_BYTES;
  const flush = () => {
    if (cur.metrics.length + cur.params.length + cur.tags.length > 0) chunks.push(cur);
    cur = { metrics: [], params: [], tags: [] };
    bytes = ENVELOPE_BYTES;
  };
  const add = <K extends "metrics" | "params" | "tags">(kind: K, item: (typeof cur)[K][number], json: unknown) => {
    const size = Buffer.byteLength(JSON.stringify(json)) + 1;
    if (ENVELOPE_BYTES + size > limits.bytes) {
      throw new RangeError(`one ${kind.slice(0, -1)} (${item.key}) is ${size} bytes, over the ${limits.bytes}-byte request limit`);
    }
    const n = cur.metrics.length + cur.params.length + cur.tags.length;
    if (cur[kind].length >= limits[kind] || n >= limits.items || bytes + size > limits.bytes) flush();
    (cur[kind] as unknown[]).push(item);
    bytes += size;
  };
  for (const p of b.params ?? []) add("params", p, p);
  for (const t of b.tags ?? []) add("tags", t, t);
  for (const m of b.metrics ?? []) add("metrics", m, encodeMetric(m));
  flush();
  return chunks;
}

export function mergeBatches(...bs: LogBatch[]): LogBatch {
  return {
    params: bs.flatMap((b) => b.params ?? []),
    tags: bs.flatMap((b) => b.tags ?? []),
    metrics: bs.flatMap((b) => b.metrics ?? []),
  };
}

/** Identity of a metric point for resend checks; MLflow's SQL store stores ±Infinity as ±max double. */
export function pointId(m: Metric): string {
  let v: string;
  if (Number.isNaN(m.value)) v = "NaN";
  else if (Math.abs(m.value) >= Number.MAX_VALUE) v = m.value > 0 ? "+Inf" : "-Inf";
  else v = String(m.value);
  return `${m.key}\u0000${m.step}\u0000${m.timestamp}\u0000${v}`;
}

/**
 * Keys become file names in MLflow's file store; MLflow rejects names that normalise to another
 * path. Returns an error message, or undefined when the key is fine.
 */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return "empty key";
  if (key.length > MAX_KEY_LENGTH) return `key longer than ${MAX_KEY_LENGTH} characters`;
  if (!/^[\w./\- :]+$/.test(key)) return "key may contain only letters, digits, _ - . / space and :";
  const parts = key.split("/");
  if (key.startsWith("/") || key.endsWith("/") || parts.some((p) => p === "" || p === "." || p === "..")) {
    return "key must not resolve to another path";
  }
  return undefined;
}
