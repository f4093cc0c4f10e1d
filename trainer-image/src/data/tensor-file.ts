// The prepared dataset's binary arrays: features [N,R,D], boxes [N,R,5], token ids [N,T], labels [N].
// Layout: 8 bytes magic "MMTENSOR", uint32 little-endian header length H, H bytes of JSON header
// ({"dtype":"float32"|"int32","shape":[...],"byteOrder":"little"}, space padded so the data starts at a multiple
// of 64), then the values, little-endian, row-major. Rows are appended as they are produced and the header is
// rewritten at the end, so N need not be known in advance; rows are buffered only up to FLUSH_BYTES.
import { open, type FileHandle } from "node:fs/promises";
import { endianness } from "node:os";

export type TensorDtype = "float32" | "int32";
export interface TensorHeader {
  dtype: TensorDtype;
  shape: number[];
  byteOrder: "little";
}
type TypedRow = Float32Array | Int32Array;

const MAGIC = Buffer.from("MMTENSOR", "latin1");
const PREFIX = MAGIC.length + 4;
/** Room for the header written before N is known: enough for any shape of a few dimensions. */
const HEADER_BYTES = 256 - PREFIX;

if (endianness() !== "LE") throw new Error("tensor files are little-endian: this machine is big-endian");

/** Appended rows are written in chunks of about this many bytes: one write per row would be thousands of syscalls. */
const FLUSH_BYTES = 1 << 20;

export class TensorWriter {
  private rows = 0;
  private position = PREFIX + HEADER_BYTES;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  private constructor(
    private readonly fh: FileHandle,
    private readonly dtype: TensorDtype,
    /** Shape of one row: [R, D] for features, [T] for token ids, [] for labels. */
    private readonly rowShape: number[],
  ) {}

  static async create(path: string, dtype: TensorDtype, rowShape: number[]): Promise<TensorWriter> {
    const writer = new TensorWriter(await open(path, "w"), dtype, rowShape);
    await writer.writeHeader();
    return writer;
  }

  get rowSize(): number {
    return this.rowShape.reduce((a, b) => a * b, 1);
  }

  /** Append one or more whole rows. */
  async append(values: TypedRow): Promise<void> {
    if (values.length % this.rowSize !== 0) throw new Error(`tensor row: ${values.length} values is not a multiple of ${this.rowSize}`);
    if ((this.dtype === "float32") !== values instanceof Float32Array) throw new Error(`tensor row: expected ${this.dtype}`);
    // copied: the caller may reuse its array before the flush
    this.pending.push(Buffer.from(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)));
    this.pendingBytes += values.byteLength;
    this.rows += values.length / this.rowSize;
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.pendingBytes) return;
    const chunk = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.fh.write(chunk, 0, chunk.length, this.position);
    this.position += chunk.length;
  }

  async close(): Promise<TensorHeader> {
    await this.flush();
    const header = await this.writeHeader();
    await this.fh.close();
    return header;
  }

  private async writeHeader(): Promise<TensorHeader> {
    const header: TensorHeader = { dtype: this.dtype, shape: [this.rows, ...this.rowShape], byteOrder: "little" };
    const json = Buffer.from(JSON.stringify(header).padEnd(HEADER_BYTES, " "), "utf8");
    if (json.length !== HEADER_BYTES) throw new Error(`tensor header too long: ${JSON.stringify(header)}`);
    const prefix = Buffer.alloc(PREFIX);
    MAGIC.copy(prefix);
    prefix.writeUInt32LE(HEADER_BYTES, MAGIC.length);
    await this.fh.write(Buffer.concat([prefix, json]), 0, PREFIX + HEADER_BYTES, 0);
    return header;
  }
}

/** Random access to a tensor file: rows are read on demand, so a 2 GB feature file needs no 2 GB buffer. */
export class TensorReader {
  private constructor(
    private readonly fh: FileHandle,
    readonly header: TensorHeader,
    private readonly dataOffset: number,
  ) {}

  static async open(path: string): Promise<TensorReader> {
    const fh = await open(path, "r");
    try {
      const prefix = Buffer.alloc(PREFIX);
      await fh.read(prefix, 0, PREFIX, 0);
      if (!prefix.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error(`${path}: not a memeops tensor file`);
      const headerBytes = prefix.readUInt32LE(MAGIC.length);
      const json = Buffer.alloc(headerBytes);
      await fh.read(json, 0, headerBytes, PREFIX);
      const header = JSON.parse(json.toString("utf8")) as TensorHeader;
      if (header.byteOrder !== "little" || !["float32", "int32"].includes(header.dtype)) throw new Error(`${path}: unsupported header`);
      return new TensorReader(fh, header, PREFIX + headerBytes);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  get rows(): number {
    return this.header.shape[0] ?? 0;
  }

  get rowSize(): number {
    return this.header.shape.slice(1).reduce((a, b) => a * b, 1);
  }

  /** Rows [start, start+count) as one flat typed array. */
  async read(start: number, count: number): Promise<TypedRow> {
    if (start < 0 || count < 0 || start + count > this.rows) throw new Error(`tensor rows ${start}+${count} out of range (${this.rows})`);
    const n = count * this.rowSize;
    const out = this.header.dtype === "float32" ? new Float32Array(n) : new Int32Array(n);
    await this.fh.read(new Uint8Array(out.buffer), 0, out.byteLength, this.dataOffset + start * this.rowSize * 4);
    return out;
  }

  async readAll(): Promise<TypedRow> {
    return this.read(0, this.rows);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
