// What `npm install` puts in node_modules for some root dependencies, read from package-lock.json (v3): each package
// and, recursively, what it depends on, found where Node would (its own node_modules, then each folder above).
import { readFileSync } from "node:fs";

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** The package name at a lock path: "node_modules/a/node_modules/@s/b" -> "@s/b". */
export const packageAt = (path: string) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);

/** Lock paths (e.g. node_modules/undici) installed for these root dependencies; throws on a name the lock lacks. */
export function installedFor(lockFile: string, roots: string[]): Set<string> {
  const packages = (JSON.parse(readFileSync(lockFile, "utf8")) as { packages: Record<string, LockEntry> }).packages;
  const resolve = (from: string, name: string): string | undefined => {
    for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf("/node_modules/")))) {
      const path = `${dir ? `${dir}/` : ""}node_modules/${name}`;
      if (packages[path]) return path;
      if (!dir) return undefined;
    }
  };
  const seen = new Set<string>();
  const visit = (from: string, name: string, required: boolean) => {
    const path = resolve(from, name);
    if (!path) {
      if (required) throw new Error(`package-lock.json has no ${name} (needed by ${from || "package.json"})`);
      return;
    }
    if (seen.has(path)) return;
    seen.add(path);
    const e = packages[path]!;
    for (const dep of Object.keys(e.dependencies ?? {})) visit(path, dep, true);
    // optional ones for other platforms are in the lock too; missing ones are skipped, as npm does
    for (const dep of Object.keys(e.optionalDependencies ?? {})) visit(path, dep, false);
    for (const dep of Object.keys(e.peerDependencies ?? {})) visit(path, dep, !e.peerDependenciesMeta?.[dep]?.optional);
  };
  for (const name of roots) visit("", name, true);
  return seen;
}
