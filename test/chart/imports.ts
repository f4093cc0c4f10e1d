// What an entry point loads: the repository files in its static import closure and the npm packages they import.
// The images copy folders and run `npm ci --omit=dev`, so both must be covered (test/chart/dockerfiles.test.ts).
import { builtinModules } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import ts from "typescript";

export interface Closure {
  /** repository files, relative to the root */
  files: string[];
  /** bare specifiers' package names, by the file importing them */
  packages: Map<string, Set<string>>;
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const packageOf = (spec: string) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);

/** Module specifiers of a file: import/export declarations and import() with a literal (type-only ones excluded). */
function specifiers(path: string): string[] {
  const sf = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.ES2023, true);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n) && !n.importClause?.isTypeOnly && ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    else if (ts.isExportDeclaration(n) && !n.isTypeOnly && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) out.push(n.arguments[0].text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/**
 * Files and packages reachable from `entry` by static imports and import() of a literal. `follow` may cut edges:
 * it gets the importing file (relative to the root) and the specifier as written.
 */
export function importClosure(root: string, entry: string, follow: (from: string, spec: string) => boolean = () => true): Closure {
  const seen = new Set<string>();
  const packages = new Map<string, Set<string>>();
  const queue = [resolve(root, entry)];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of specifiers(file)) {
      if (!follow(relative(root, file), spec)) continue;
      if (spec.startsWith(".")) queue.push(resolve(dirname(file), spec));
      else if (!builtins.has(spec) && !builtins.has(spec.split("/")[0]!)) {
        const name = packageOf(spec);
        if (!packages.has(name)) packages.set(name, new Set());
        packages.get(name)!.add(relative(root, file));
      }
    }
  }
  return { files: [...seen].map((f) => relative(root, f)).sort(), packages };
}
