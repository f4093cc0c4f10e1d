// The real helm binary (built by test/cluster/build.sh; $HELM overrides) and the chart rendered by it.
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CHART = join(root, "charts", "memeops");
export const EVERYTHING = join(CHART, "ci", "everything-values.yaml");

let bin: string | undefined;
export function helmBin(): string {
  if (bin) return bin;
  if (process.env.HELM) return (bin = process.env.HELM);
  const r = spawnSync("bash", [join(root, "test", "cluster", "which.sh"), "helm"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`no helm: ${r.stderr.trim()} (make cluster-build)`);
  return (bin = r.stdout.trim());
}

export interface Run {
  code: number;
  out: string;
}

const helmEnv = () => ({ ...process.env, HELM_CACHE_HOME: join(tmpdir(), "memeops-helm-cache"), HELM_CONFIG_HOME: join(tmpdir(), "memeops-helm-config") });

export function helm(args: string[]): Run {
  const r = spawnSync(helmBin(), args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: helmEnv() });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, out: r.stdout + r.stderr };
}

/** helm without blocking the test worker: for calls that talk to the cluster and may take a minute under load. */
export function helmAsync(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) =>
    execFile(helmBin(), args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: helmEnv() }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") return reject(error);
      resolve({ code: error ? (error.code as number) : 0, out: stdout + stderr });
    }),
  );
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  valuesFiles?: string[];
  /** values as an object, written to a temporary values file (last, so it wins) */
  values?: Record<string, unknown>;
}

/** `helm template` arguments for these options. */
export function templateArgs(o: RenderOptions = {}): string[] {
  const args = ["template", o.release ?? "memeops", CHART, "--namespace", o.namespace ?? "memeops-system"];
  for (const f of o.valuesFiles ?? []) args.push("-f", f);
  if (o.values) {
    const file = join(mkdtempSync(join(tmpdir(), "memeops-values-")), "values.json");
    writeFileSync(file, JSON.stringify(o.values));
    args.push("-f", file);
  }
  return args;
}

export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The rendered manifests (throws with helm's message when rendering fails). */
export function render(o: RenderOptions = {}): { text: string; objects: Manifest[] } {
  const r = helm(templateArgs(o));
  if (r.code !== 0) throw new Error(`helm template failed: ${r.out}`);
  const objects = parseAllDocuments(r.out)
    .map((d) => {
      if (d.errors.length) throw new Error(`rendered YAML: ${d.errors[0]!.message}`);
      return d.toJSON() as Manifest | null;
    })
    .filter((o): o is Manifest => !!o);
  return { text: r.out, objects };
}

export const find = (objs: Manifest[], kind: string, name?: string, namespace?: string) =>
  objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name) && (namespace === undefined || o.metadata.namespace === namespace));
