// Model URI -> a local file whose sha256 is known (and, when the URI pins one, checked). Remote files are
// downloaded once into `cacheDir` and reused; local files (mounted volumes, file://) are used in place.
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { basename, join, posix } from "node:path";
import { downloadFile, NotFoundError } from "../data/download.ts";
import { rememberSha256, sha256File } from "./file-hash.ts";
import { describeLocation, parseModelUri, type ModelLocation } from "./model-uri.ts";

export interface ModelFetchOptions {
  /** Where downloads are kept between runs (e.g. <storage>/cache/models). */
  cacheDir: string;
  /** Sent as `Authorization: Bearer ...` to https URLs (from the experiment's Secret). */
  bearerToken?: string;
}

export interface LocalModelFile {
  /** The URI it came from, for messages. */
  uri: string;
  path: string;
  sha256: string;
}

export class ModelFileMissingError extends Error {}

export async function fetchModelFile(uri: string, options: ModelFetchOptions): Promise<LocalModelFile> {
  return materialize(parseModelUri(uri), options);
}

async function materialize(location: ModelLocation, options: ModelFetchOptions): Promise<LocalModelFile> {
  const uri = describeLocation(location);
  if (location.kind === "local") {
    const info = await stat(location.path).catch(() => undefined);
    if (!info?.isFile()) throw new ModelFileMissingError(`model file not found: ${location.path}`);
    const sha256 = await sha256File(location.path);
    checkPinned(uri, location.path, sha256, location.expectedSha256);
    return { uri, path: location.path, sha256 };
  }

  const dir = join(options.cacheDir, createHash("sha256").update(location.url.href).digest("hex").slice(0, 32));
  const path = join(dir, basename(decodeURIComponent(location.url.pathname)) || "model");
  if (await stat(path).catch(() => undefined)) {
    const sha256 = await sha256File(path);
    if (location.expectedSha256 === undefined || sha256 === location.expectedSha256) return { uri, path, sha256 };
    // A pinned hash that the cached copy does not have: the copy is stale or damaged, fetch it again.
  }
  await mkdir(dir, { recursive: true });
  let sha256: string;
  try {
    const headers: Record<string, string> = options.bearerToken ? { authorization: `Bearer ${options.bearerToken}` } : {};
    sha256 = (await downloadFile(location.url.href, path, { headers, retries: 2 })).sha256;
  } catch (error) {
    if (error instanceof NotFoundError) throw new ModelFileMissingError(error.message);
    throw error;
  }
  await rememberSha256(path, sha256);
  if (location.expectedSha256 !== undefined && sha256 !== location.expectedSha256) {
    await rm(path, { force: true });
  }
  checkPinned(uri, path, sha256, location.expectedSha256);
  return { uri, path, sha256 };
}

function checkPinned(uri: string, path: string, actual: string, expected: string | undefined): void {
  if (expected !== undefined && actual !== expected) {
    throw new Error(`sha256 mismatch for model ${uri} (${path}): expected ${expected}, got ${actual}`);
  }
}

/** A directory of model files (e.g. BLIP's encoder, decoder and vocabulary), local or under an https base URL. */
export interface ModelDir {
  readonly uri: string;
  file(name: string): Promise<LocalModelFile>;
  /** undefined when the directory has no such file (a 404, or no such local file). */
  optionalFile(name: string): Promise<LocalModelFile | undefined>;
}

/**
 * Open a model directory. An optional `SHA256SUMS` file in it (sha256sum's format) pins the files it lists.
 * Directory URIs take no #sha256 fragment.
 */
export async function openModelDir(uri: string, options: ModelFetchOptions): Promise<ModelDir> {
  const root = parseModelUri(uri);
  if (root.expectedSha256 !== undefined) throw new Error(`model directory ${uri}: pin files with SHA256SUMS, not #sha256`);
  const locate = (name: string): ModelLocation =>
    root.kind === "local"
      ? { kind: "local", path: join(root.path, name) }
      : { kind: "remote", url: new URL(name, root.url.href.endsWith("/") ? root.url : new URL(`${root.url.href}/`)) };

  const tryFile = async (location: ModelLocation) => {
    try {
      return await materialize(location, options);
    } catch (error) {
      if (error instanceof ModelFileMissingError) return undefined;
      throw error;
    }
  };
  const sumsFile = await tryFile(locate("SHA256SUMS"));
  const pins = sumsFile ? parseSha256Sums(await readFile(sumsFile.path, "utf8")) : new Map<string, string>();

  const optionalFile = async (name: string) => {
    if (name !== posix.basename(name)) throw new Error(`model directory ${uri}: ${name} must be a plain file name`);
    const pinned = pins.get(name);
    return tryFile({ ...locate(name), ...(pinned ? { expectedSha256: pinned } : {}) });
  };
  return {
    uri,
    optionalFile,
    async file(name) {
      const found = await optionalFile(name);
      if (!found) throw new ModelFileMissingError(`model file not found: ${name} in ${uri}`);
      return found;
    },
  };
}

function parseSha256Sums(text: string): Map<string, string> {
  const pins = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^([a-f0-9]{64}) [ *](.+)$/.exec(line.trim());
    if (match) pins.set(match[2]!, match[1]!);
  }
  return pins;
}
