// safetensors (huggingface/safetensors): u64 little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the raw little-endian
// data. Only F32 is written; F32, F16 and BF16 are read (published checkpoints use them), as Float32Array.

export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

export function encodeSafetensors(tensors: Map<string, NamedArray>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (expected !== t.data.length) throw new Error(`tensor ${name}: shape [${t.shape}] needs ${expected} values, has ${t.data.length}`);
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8); // keep the data 8-byte aligned
  const headerBytes = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, at); // host is little-endian (x86/arm)
    at += d.byteLength;
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** One tensor of a safetensors file, decoded to float32 when read. */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  read(): Float32Array;
}

/**
 * The one safetensors reader: checks every tensor lies inside the file (a truncated download is named as such) and
 * decodes each tensor when read: F32 by copying its bytes (the bulk of a checkpoint, ~10x faster than value by
 * value), F16 and BF16 value by value. Any other dtype (an integer position_ids buffer) is listed, and refused if read.
 */
export function readSafetensors(buf: Buffer, source = "safetensors"): { entries: Map<string, SafetensorsEntry>; metadata: Record<string, string> } {
  if (buf.length < 8) throw new Error(`${source}: too short for a safetensors file: the file is truncated`);
  const headerLength = Number(buf.readBigUInt64LE(0));
  if (8 + headerLength > buf.length) throw new Error(`${source}: the safetensors header runs past the end of the file: the file is truncated`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLength).toString("utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${source}: unreadable safetensors header (${(e as Error).message})`);
  }
  const data = buf.subarray(8 + headerLength);
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: [begin, end] = [NaN, NaN] } = entry as { dtype: string; shape: number[]; data_offsets?: [number, number] };
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin > end || end > data.length) {
      throw new Error(`${source}: tensor ${name} spans data bytes ${begin}..${end}, the file has ${data.length}: the file is truncated`);
    }
    const bytes = data.subarray(begin, end);
    entries.set(name, { dtype, shape, read: () => decodeTensor(bytes, dtype, shape, `${source}: tensor ${name}`, `${source}: ${name}`) });
  }
  return { entries, metadata };
}

function decodeTensor(bytes: Buffer, dtype: string, shape: number[], what: string, short: string): Float32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  if (dtype === "F32") {
    if (bytes.length !== count * 4) throw new Error(`${short} has ${bytes.length} bytes for ${count} F32 values`);
    new Uint8Array(data.buffer).set(bytes); // host is little-endian (x86/arm), as the file
  } else if (dtype === "F16") {
    for (let i = 0; i < count; i++) data[i] = halfToFloat(bytes.readUInt16LE(i * 2));
  } else if (dtype === "BF16") {
    const scratch = Buffer.alloc(4);
    for (let i = 0; i < count; i++) {
      scratch.writeUInt32LE(bytes.readUInt16LE(i * 2) << 16 >>> 0, 0);
      data[i] = scratch.readFloatLE(0);
    }
  } else {
    throw new Error(`${what} has dtype ${dtype}; only F32, F16 and BF16 are read`);
  }
  return data;
}

/** Every tensor of a safetensors file, decoded (memeops' own checkpoints: all F32). */
export function decodeSafetensors(buf: Buffer, source = "safetensors"): { tensors: Map<string, NamedArray>; metadata: Record<string, string> } {
  const { entries, metadata } = readSafetensors(buf, source);
  const tensors = new Map<string, NamedArray>();
  for (const [name, e] of entries) tensors.set(name, { shape: e.shape, data: e.read() });
  return { tensors, metadata };
}
