// PyTorch checkpoints (torch.save of a state dict), read without Python:
//  - zip (torch >= 1.6): <name>/data.pkl is the pickled object, whose tensors name their storages by a persistent
//    id ('storage', torch.FloatStorage, key, location, numel); each storage's bytes are <name>/data/<key>.
//  - legacy (torch < 1.6, e.g. the 2019 ViLBERT and BERT files): five pickles in a row (magic number, protocol,
//    sys info, the object, the list of storage keys), then each storage as an int64 element count and its bytes.
// Both go through the safe unpickler (pickle.ts) with the globals a state dict needs and nothing else.
import { unzipSync } from "fflate";
import { PyGlobal, unpickle, type GlobalHandler } from "./pickle.ts";
import { isTensorRef, readStrided, TORCH_DTYPES, type CheckpointFile, type SourceTensor, type StorageRef, type TensorRef } from "./tensors.ts";

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

const isIntList = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0);

function rebuildTensor(source: string) {
  return (args: readonly unknown[]): TensorRef => {
    const [storage, offset, shape, stride] = args;
    if (typeof storage !== "object" || storage === null || !("key" in storage)) throw new Error(`${source}: a tensor without a storage`);
    if (!Number.isInteger(offset) || !isIntList(shape) || !isIntList(stride) || shape.length !== stride.length) {
      throw new Error(`${source}: a tensor with a malformed offset, size or stride`);
    }
    return { storage: storage as StorageRef, offset: offset as number, shape: [...shape], stride: [...stride] };
  };
}

function stateDictGlobals(source: string): Map<string, GlobalHandler | "value-only"> {
  const globals = new Map<string, GlobalHandler | "value-only">([
    ["collections.OrderedDict", (args) => new Map((args[0] as Iterable<[unknown, unknown]> | undefined) ?? [])],
    ["torch._utils._rebuild_tensor_v2", rebuildTensor(source)],
    ["torch._utils._rebuild_tensor", rebuildTensor(source)],
    // a saved nn.Parameter: its data is the tensor
    ["torch._utils._rebuild_parameter", (args) => args[0]],
  ]);
  for (const dtype of Object.keys(TORCH_DTYPES)) globals.set(`torch.${dtype}Storage`, "value-only");
  return globals;
}

/** The persistent id of a storage -> its dtype, key and element count. */
function parseStoragePid(pid: unknown, source: string): { dtype: string; key: string; numel: number; view: unknown } {
  if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length < 5) throw new Error(`${source}: unexpected persistent id ${JSON.stringify(pid)}`);
  const [, type, key, , numel, view] = pid as [string, unknown, unknown, unknown, unknown, unknown];
  if (!(type instanceof PyGlobal) || !/^torch\.\w+Storage$/.test(type.name)) throw new Error(`${source}: storage of unknown type`);
  if (typeof key !== "string" || !Number.isSafeInteger(numel)) throw new Error(`${source}: malformed storage id`);
  return { dtype: type.name.slice("torch.".length, -"Storage".length), key, numel: numel as number, view };
}

/** The state dict inside an unpickled object: the object itself, or the one dict of tensors it wraps. */
function tensorsOf(value: unknown, path: string, format: CheckpointFile["format"]): CheckpointFile {
  if (!(value instanceof Map)) throw new Error(`${path}: holds a ${Array.isArray(value) ? "list" : typeof value}, not a state dict`);
  const notes: string[] = [];
  let dict = value;
  if (![...dict.values()].some(isTensorRef)) {
    const nested = [...dict.entries()].filter(([, v]) => v instanceof Map && [...v.values()].some(isTensorRef));
    if (nested.length !== 1) throw new Error(`${path}: no tensors at the top level and ${nested.length} nested dicts of tensors; expected a state dict`);
    notes.push(`state dict found under key ${JSON.stringify(nested[0]![0])}`);
    dict = nested[0]![1] as Map<unknown, unknown>;
  }
  const tensors = new Map<string, SourceTensor>();
  const ignored: string[] = [];
  for (const [key, v] of dict) {
    if (typeof key !== "string" || !isTensorRef(v)) {
      ignored.push(String(key));
      continue;
    }
    tensors.set(key, { name: key, dtype: v.storage.dtype, shape: v.shape, read: () => readStrided(v, path, key) });
  }
  if (ignored.length) notes.push(`entries that are not tensors, ignored: ${ignored.join(", ")}`);
  return { path, format, tensors, notes };
}

export const isZip = (buf: Uint8Array) => buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;

export function isLegacyTorch(buf: Uint8Array): boolean {
  // PROTO 2, LONG1 of 10 bytes holding the magic number
  if (buf.length < 14 || buf[0] !== 0x80 || buf[2] !== 0x8a || buf[3] !== 0x0a) return false;
  let n = 0n;
  for (let i = 13; i >= 4; i--) n = (n << 8n) | BigInt(buf[i]!);
  return n === LEGACY_MAGIC;
}

export function readTorchZip(buf: Uint8Array, path: string): CheckpointFile {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(buf);
  } catch (e) {
    throw new Error(`${path}: not a readable zip archive (${(e as Error).message}): the file is truncated or damaged`);
  }
  const pkl = Object.keys(entries).filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkl.length !== 1) throw new Error(`${path}: a zip, but not a PyTorch checkpoint (no <name>/data.pkl)`);
  const root = pkl[0]!.slice(0, -"data.pkl".length);
  const order = entries[`${root}byteorder`];
  if (order && new TextDecoder().decode(order).trim() !== "little") throw new Error(`${path}: big-endian checkpoints are not supported`);
  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: unknown) => {
    const { dtype, key, numel } = parseStoragePid(pid, path);
    let s = storages.get(key);
    if (!s) {
      const bytes = entries[`${root}data/${key}`];
      if (!bytes) throw new Error(`${path}: storage ${key} is missing from the archive`);
      s = { key, dtype, numel, bytes: () => bytes };
      storages.set(key, s);
    }
    return s;
  };
  const { value } = unpickle(entries[pkl[0]!]!, 0, { globals: stateDictGlobals(path), persistentLoad, source: `${path} (${pkl[0]})` });
  return tensorsOf(value, path, "torch-zip");
}

export function readTorchLegacy(buf: Uint8Array, path: string): CheckpointFile {
  const plain = { globals: new Map(), source: `${path} (header)` };
  let at = 0;
  const next = <T>(opts: Parameters<typeof unpickle>[2] = plain): T => {
    const r = unpickle(buf, at, opts);
    at = r.end;
    return r.value as T;
  };
  if (next<bigint>() !== LEGACY_MAGIC) throw new Error(`${path}: not a legacy PyTorch file (wrong magic number)`);
  const protocol = next<number>();
  if (protocol !== LEGACY_PROTOCOL) throw new Error(`${path}: legacy PyTorch protocol ${protocol}, expected ${LEGACY_PROTOCOL}`);
  const sysInfo = next<Map<string, unknown>>();
  if (sysInfo instanceof Map && sysInfo.get("little_endian") === false) throw new Error(`${path}: big-endian checkpoints are not supported`);

  const storages = new Map<string, StorageRef & { data?: Uint8Array }>();
  const persistentLoad = (pid: unknown) => {
    const { dtype, key, numel, view } = parseStoragePid(pid, path);
    if (view !== null && view !== undefined) throw new Error(`${path}: storage views (torch < 0.4 files) are not supported`);
    let s = storages.get(key);
    if (!s) {
      const ref: StorageRef & { data?: Uint8Array } = {
        key, dtype, numel,
        bytes: () => ref.data ?? new Uint8Array(0),
      };
      storages.set(key, ref);
      s = ref;
    }
    return s;
  };
  const value = next({ globals: stateDictGlobals(path), persistentLoad, source: path });
  const keys = next<unknown[]>({ ...plain, source: `${path} (storage keys)` });
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) throw new Error(`${path}: malformed list of storage keys`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const key of keys as string[]) {
    const s = storages.get(key);
    if (!s) throw new Error(`${path}: storage ${key} is listed but no tensor uses it`);
    if (at + 8 > buf.length) throw new Error(`${path}: storage ${key} is missing: the file is truncated`);
    const count = Number(view.getBigInt64(at, true));
    const size = TORCH_DTYPES[s.dtype]?.size ?? 1;
    if (count !== s.numel) throw new Error(`${path}: storage ${key} holds ${count} elements, its tensors say ${s.numel}`);
    s.data = buf.subarray(at + 8, Math.min(buf.length, at + 8 + count * size));
    at += 8 + count * size;
  }
  if (at > buf.length) throw new Error(`${path}: the file is truncated: its storages end at byte ${at}, the file has ${buf.length}`);
  return tensorsOf(value, path, "torch-legacy");
}
