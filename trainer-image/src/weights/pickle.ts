// A pickle reader that only builds data: the opcodes torch.save emits (protocol 2, plus the few of 3-5 that
// newer picklers use) and an allowlist of globals. A pickle naming any other global (os.system, builtins.eval,
// a model class, ...) is refused at the GLOBAL opcode, before anything could be called; nothing is ever
// imported or executed. Python values become: dict/OrderedDict -> Map, list -> array, tuple -> frozen array,
// str -> string, int -> number (bigint past 2^53), float -> number, bytes -> Uint8Array, None -> null.

/** A global the allowlist accepts, by its dotted name ("collections.OrderedDict"). */
export class PyGlobal {
  constructor(readonly name: string) {}
}

/** What an allowed global does when the pickle calls it (REDUCE / NEWOBJ). */
export type GlobalHandler = (args: readonly unknown[]) => unknown;

export interface UnpickleOptions {
  /** dotted name -> handler; a name absent here is refused */
  globals: ReadonlyMap<string, GlobalHandler | "value-only">;
  /** BINPERSID: torch.save stores tensor storages out of band and names them with a persistent id */
  persistentLoad?: (pid: unknown) => unknown;
  /** for messages: the file and the part of it being read */
  source: string;
}

export class UnsafePickleError extends Error {}

const MARK = Symbol("mark");

/** Reads one pickle starting at `offset`; returns the value and the offset just past its STOP opcode. */
export function unpickle(buf: Uint8Array, offset: number, opts: UnpickleOptions): { value: unknown; end: number } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = offset;
  const fail = (what: string): never => {
    throw new Error(`${opts.source}: ${what} (pickle byte ${pos})`);
  };
  const need = (n: number) => {
    if (pos + n > buf.length) fail("the pickle ends early: the file is truncated");
  };
  const u8 = () => (need(1), buf[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const n = view.getBigUint64(pos, true);
    pos += 8;
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail("a length is larger than the file");
    return Number(n);
  };
  const bytes = (n: number) => (need(n), (pos += n), buf.subarray(pos - n, pos));
  const utf8 = (n: number) => new TextDecoder("utf-8", { fatal: true }).decode(bytes(n));
  const line = () => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) fail("the pickle ends early: the file is truncated");
    const s = new TextDecoder("latin1").decode(buf.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => (stack.length === 0 ? fail("malformed pickle: stack underflow") : stack.pop());
  const top = () => (stack.length === 0 ? fail("malformed pickle: stack underflow") : stack[stack.length - 1]);
  const popMark = (): unknown[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail("malformed pickle: no MARK");
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const global = (module: string, name: string) => {
    const dotted = `${module}.${name}`;
    if (!opts.globals.has(dotted)) {
      throw new UnsafePickleError(
        `${opts.source}: refused: the pickle references ${dotted}, which is not a tensor or a plain container. ` +
          "Only tensors, dicts, lists, tuples and numbers are loaded; nothing in a checkpoint is ever executed",
      );
    }
    return new PyGlobal(dotted);
  };
  const call = (fn: unknown, args: unknown) => {
    if (!(fn instanceof PyGlobal)) fail("malformed pickle: REDUCE on something that is not a global");
    const handler = opts.globals.get((fn as PyGlobal).name);
    if (handler === "value-only" || handler === undefined) fail(`${(fn as PyGlobal).name} may appear only as a value, not be called`);
    if (!Array.isArray(args)) fail("malformed pickle: REDUCE arguments are not a tuple");
    return (handler as GlobalHandler)(args as unknown[]);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) fail("malformed pickle: SETITEM(S) on something that is not a dict");
    for (let i = 0; i + 1 < items.length; i += 2) (target as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const append = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target) || Object.isFrozen(target)) fail("malformed pickle: APPEND(S) on something that is not a list");
    (target as unknown[]).push(...items);
  };
  const longFrom = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let n = 0n;
    for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) n -= 1n << BigInt(8 * b.length);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME (a length hint)
      case 0x2e: return { value: pop(), end: pos }; // STOP
      case 0x28: stack.push(MARK); break;
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(longFrom(bytes(u8()))); break; // LONG1
      case 0x8b: stack.push(longFrom(bytes(u32()))); break; // LONG4
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x58: stack.push(utf8(u32())); break; // BINUNICODE
      case 0x8c: stack.push(utf8(u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8(u64())); break; // BINUNICODE8
      case 0x54: stack.push(new TextDecoder("latin1").decode(bytes(u32()))); break; // BINSTRING (Python 2 str)
      case 0x55: stack.push(new TextDecoder("latin1").decode(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(bytes(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(bytes(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(bytes(u64()).slice()); break; // BINBYTES8
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(Object.freeze([])); break; // EMPTY_TUPLE
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { const items = popMark(); const s = top(); if (!(s instanceof Set)) fail("malformed pickle: ADDITEMS on a non-set"); for (const i of items) (s as Set<unknown>).add(i); break; }
      case 0x91: stack.push(Object.freeze(new Set(popMark()))); break; // FROZENSET
      case 0x74: stack.push(Object.freeze(popMark())); break; // TUPLE
      case 0x85: stack.push(Object.freeze([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(Object.freeze([a, b])); break; }
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(Object.freeze([a, b, c])); break; }
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { const items = popMark(); const d = new Map(); setItems(d, items); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x61: { const v = pop(); append(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x30: pop(); break; // POP
      case 0x31: stack.push(top()); break; // DUP
      case 0x32: popMark(); break; // POP_MARK
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) fail(`malformed pickle: memo ${key} is not set`);
        stack.push(memo.get(key));
        break;
      }
      case 0x63: { const module = line(); stack.push(global(module, line())); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("malformed pickle: STACK_GLOBAL needs two strings");
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: { const args = pop(); stack.push(call(pop(), args)); break; } // REDUCE
      case 0x81: { const args = pop(); stack.push(call(pop(), args)); break; } // NEWOBJ: cls(*args) for allowed classes
      case 0x62: { // BUILD: an OrderedDict's attributes (a state dict's _metadata, module versions): checked, dropped
        const state = pop();
        const obj = top();
        if (!(obj instanceof Map)) fail("malformed pickle: BUILD on something that is not a dict");
        if (state !== null && !(state instanceof Map)) fail("malformed pickle: BUILD with a non-dict state");
        break;
      }
      case 0x51: { // BINPERSID
        if (!opts.persistentLoad) fail("unexpected persistent id in a pickle that should hold plain data");
        stack.push(opts.persistentLoad!(pop()));
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, "0")}: not something torch.save writes`);
    }
  }
}
