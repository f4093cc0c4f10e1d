// The manifest the exporter (export/memeops_exporter/manifest.py) writes beside each model file as
// `<file>.manifest.json`: what the file is, where its weights came from, which tools made it, and its sha256.
// Checked whenever a model file is opened for a spec: a file that is not the one its manifest describes (a stale or
// half-copied volume) is refused, and so is a test-only export (seeded random weights) unless a test asks for it.
// A file without a manifest (a hand-made export) is accepted; the run then logs that it has none.
import { readFile } from "node:fs/promises";
import { fetchModelFile, ModelFileMissingError, type LocalModelFile, type ModelDir, type ModelFetchOptions } from "./fetch-model.ts";
import { parseModelUri } from "./model-uri.ts";

export const MANIFEST_SUFFIX = ".manifest.json";
const FORMAT = "memeops-model-manifest/v1";

export interface ModelManifest {
  format: string;
  /** The exporter's model name (the extractor's name). */
  model: string;
  file: string;
  sha256: string;
  /** Seeded random weights, made for tests only. */
  testOnly: boolean;
  /** null exactly when testOnly. */
  source: { uri: string; sha256: string; description: string } | null;
  exporter: Record<string, string>;
}

export interface ManifestPolicy {
  /** Accept test-only exports: only tests set this; the trainer never does. */
  allowTestOnly?: boolean;
  /** The model the caller is opening the file as (an extractor name); a manifest for another model is refused. */
  expectedModel?: string;
}

export interface CheckedModelFile {
  file: LocalModelFile;
  manifest?: ModelManifest;
}

/** The manifest's URI: the model URI without its #sha256 fragment, plus the suffix. */
export function manifestUriOf(modelUri: string): string {
  const location = parseModelUri(modelUri);
  if (location.kind === "local") return location.path + MANIFEST_SUFFIX;
  const url = new URL(location.url.href);
  url.pathname += MANIFEST_SUFFIX;
  return url.href;
}

/** Fetch a model file and, when one sits beside it, its manifest; check the file against the manifest. */
export async function fetchCheckedModelFile(uri: string, options: ModelFetchOptions & ManifestPolicy): Promise<CheckedModelFile> {
  const file = await fetchModelFile(uri, options);
  const manifestFile = await fetchModelFile(manifestUriOf(uri), options).catch((error: unknown) => {
    if (error instanceof ModelFileMissingError) return undefined;
    throw error;
  });
  return checkedAgainst(file, manifestFile, options);
}

/** The same for a file of a model directory (BLIP's): `name` and `name.manifest.json` beside it. */
export async function checkedDirFile(dir: ModelDir, name: string, policy: ManifestPolicy): Promise<CheckedModelFile> {
  return checkedAgainst(await dir.file(name), await dir.optionalFile(name + MANIFEST_SUFFIX), policy);
}

async function checkedAgainst(file: LocalModelFile, manifestFile: LocalModelFile | undefined, policy: ManifestPolicy): Promise<CheckedModelFile> {
  if (!manifestFile) return { file };
  const manifest = parseManifest(await readFile(manifestFile.path, "utf8"), manifestFile.path);
  checkManifest(manifest, file, manifestFile.path, policy);
  return { file, manifest };
}

export function parseManifest(text: string, where: string): ModelManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`model manifest ${where} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const m = raw as Partial<ModelManifest> | null;
  const bad = (field: string, want: string) => new Error(`model manifest ${where}: ${field} must be ${want}`);
  if (typeof m !== "object" || m === null) throw bad("the document", "an object");
  if (m.format !== FORMAT) throw bad("format", JSON.stringify(FORMAT));
  if (typeof m.model !== "string" || m.model === "") throw bad("model", "a model name");
  if (typeof m.file !== "string") throw bad("file", "a file name");
  if (typeof m.sha256 !== "string" || !/^[a-f0-9]{64}$/.test(m.sha256)) throw bad("sha256", "64 lowercase hex digits");
  if (typeof m.testOnly !== "boolean") throw bad("testOnly", "true or false");
  const source = m.source;
  if (m.testOnly ? source !== null : typeof source?.uri !== "string" || typeof source.sha256 !== "string") {
    throw bad("source", m.testOnly ? "null for a test-only export" : "{uri, sha256, description} of the weights");
  }
  if (typeof m.exporter !== "object" || m.exporter === null) throw bad("exporter", "the exporter's versions");
  return m as ModelManifest;
}

export function checkManifest(manifest: ModelManifest, file: LocalModelFile, where: string, policy: ManifestPolicy): void {
  if (manifest.sha256 !== file.sha256) {
    throw new Error(
      `model file ${file.path} is not the file its manifest ${where} describes: sha256 ${file.sha256}, ` +
        `manifest ${manifest.sha256} (a stale or partly copied file: export it again)`,
    );
  }
  if (policy.expectedModel !== undefined && manifest.model !== policy.expectedModel) {
    throw new Error(`model file ${file.path} was exported as ${manifest.model} (${where}), not as ${policy.expectedModel}`);
  }
  if (manifest.testOnly && !policy.allowTestOnly) {
    throw new Error(
      `model file ${file.path} has seeded random weights made for tests (testOnly in ${where}); ` +
        `export the real model: memeops models export ${manifest.model} --out DIR`,
    );
  }
}
