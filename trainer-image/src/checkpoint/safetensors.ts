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

export function decodeSafetensors(buf: Buffer, source = "safetensors"): { tensors: Map<string, NamedArray>; metadata: Record<string, string> } {
  if (buf.length < 8) throw new Error(`${source}: too short for a safetensors file`);
  const headerLength = Number(buf.readBigUInt64LE(0));
  if (8 + headerLength > buf.length) throw new Error(`${source}: header length ${headerLength} exceeds the file`);
  const header = JSON.parse(buf.subarray(8, 8 + headerLength).toString("utf8")) as Record<string, unknown>;
  const base = 8 + headerLength;
  const tensors = new Map<string, NamedArray>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [begin, end] = data_offsets;
    const bytes = buf.subarray(base + begin, base + end);
    const count = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    if (dtype === "F32") {
      if (bytes.length !== count * 4) throw new Error(`${source}: ${name} has ${bytes.length} bytes for ${count} F32 values`);
      for (let i = 0; i < count; i++) data[i] = bytes.readFloatLE(i * 4);
    } else if (dtype === "F16") {
      for (let i = 0; i < count; i++) data[i] = halfToFloat(bytes.readUInt16LE(i * 2));
    } else if (dtype === "BF16") {
      const scratch = Buffer.alloc(4);
      for (let i = 0; i < count; i++) {
        scratch.writeUInt32LE(bytes.readUInt16LE(i * 2) << 16 >>> 0, 0);
        data[i] = scratch.readFloatLE(0);
      }
    } else {
      throw new Error(`${source}: tensor ${name} has dtype ${dtype}; only F32, F16 and BF16 are read`);
    }
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
}
