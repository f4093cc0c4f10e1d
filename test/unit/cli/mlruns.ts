// Reading an MLflow file store back in the tests of `memeops sweep run`.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

/** The runs of a file store, by run name: tags, status, metric names, artifacts. */
export function storeRuns(mlruns: string) {
  const out: Record<string, { id: string; dir: string; tags: Record<string, string>; status: number; metrics: string[]; artifacts: string[] }> = {};
  for (const exp of readdirSync(mlruns).filter((d) => /^\d+$/.test(d))) {
    for (const id of readdirSync(join(mlruns, exp)).filter((d) => existsSync(join(mlruns, exp, d, "meta.yaml")))) {
      const dir = join(mlruns, exp, id);
      const tags = Object.fromEntries(readdirSync(join(dir, "tags"), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => {
        const file = join(e.parentPath, e.name);
        return [file.slice(join(dir, "tags").length + 1), readFileSync(file, "utf8")];
      }));
      const meta = parse(readFileSync(join(dir, "meta.yaml"), "utf8")) as { status: number; run_name: string };
      out[meta.run_name] = { id, dir, tags, status: meta.status, metrics: readdirSync(join(dir, "metrics")), artifacts: readdirSync(join(dir, "artifacts")) };
    }
  }
  return out;
}
