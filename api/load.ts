// Reads MemeExperiment and MemeSweep YAML files: every document of every file, each problem named by file and field.
import { readFile } from "node:fs/promises";
import { parseAllDocuments } from "yaml";
import { SWEEP } from "./v1alpha1/groupversion.ts";
import type { MemeExperiment } from "./v1alpha1/memeexperiment.ts";
import type { MemeSweep } from "./v1alpha1/memesweep.ts";
import { parseMemeExperiment, parseMemeSweep, type Problem } from "./v1alpha1/parse.ts";

export interface LoadedDocument {
  /** `FILE`, or `FILE#N` when the file holds several documents (N counts from 1). */
  source: string;
  experiment?: MemeExperiment;
  sweep?: MemeSweep;
  problems: Problem[];
}

export function loadExperimentsFromText(text: string, file: string): LoadedDocument[] {
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  if (!Array.isArray(docs)) return [{ source: file, problems: [{ path: "(file)", message: "no YAML document" }] }];
  const nonEmpty = docs.filter((d) => d.contents !== null || d.errors.length > 0);
  if (nonEmpty.length === 0) return [{ source: file, problems: [{ path: "(file)", message: "empty file" }] }];
  return nonEmpty.map((doc, i) => {
    const source = nonEmpty.length > 1 ? `${file}#${i + 1}` : file;
    if (doc.errors.length > 0) {
      return { source, problems: doc.errors.map((e) => ({ path: "(yaml)", message: (e.message.split("\n")[0] ?? e.message).replace(/:$/, "") })) };
    }
    const input = doc.toJS({ maxAliasCount: 100 });
    // The kind picks the schema; anything else is read as a MemeExperiment, whose schema names a wrong kind.
    if (input?.kind === SWEEP.kind) {
      const sweep = parseMemeSweep(input);
      return sweep.ok ? { source, sweep: sweep.value, problems: [] } : { source, problems: sweep.problems };
    }
    const result = parseMemeExperiment(input);
    return result.ok ? { source, experiment: result.value, problems: [] } : { source, problems: result.problems };
  });
}

export async function loadExperimentFiles(files: string[]): Promise<LoadedDocument[]> {
  const out: LoadedDocument[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      out.push({ source: file, problems: [{ path: "(file)", message: (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(err) }] });
      continue;
    }
    out.push(...loadExperimentsFromText(text, file));
  }
  return out;
}

/** Exactly one valid experiment from one file, or an Error listing every problem. */
export async function loadOneExperiment(file: string): Promise<MemeExperiment> {
  const docs = await loadExperimentFiles([file]);
  const problems = docs.flatMap((d) => d.problems.map((p) => `${d.source}: ${p.path}: ${p.message}`));
  if (problems.length) throw new Error(problems.join("\n"));
  if (docs.length !== 1 || !docs[0]?.experiment) throw new Error(`${file}: expected exactly one MemeExperiment, found ${docs.length} document(s)${docs[0]?.sweep ? " (a MemeSweep)" : ""}`);
  return docs[0].experiment;
}

/** Exactly one valid sweep from one file, or an Error listing every problem. */
export async function loadOneSweep(file: string): Promise<MemeSweep> {
  const docs = await loadExperimentFiles([file]);
  const problems = docs.flatMap((d) => d.problems.map((p) => `${d.source}: ${p.path}: ${p.message}`));
  if (problems.length) throw new Error(problems.join("\n"));
  if (docs.length !== 1 || !docs[0]?.sweep) throw new Error(`${file}: expected exactly one MemeSweep, found ${docs.length} document(s)`);
  return docs[0].sweep;
}
