// A small Dockerfile reader: instructions with continuation lines joined, and what COPY/ADD take from the context.
import { readFileSync } from "node:fs";

export interface Instruction {
  line: number;
  op: string;
  args: string;
}

export function instructions(path: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: Instruction | undefined;
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((raw, i) => {
      const text = raw.trim();
      if (!pending && (text === "" || text.startsWith("#"))) return;
      if (pending && text.startsWith("#")) return; // comments inside a continued instruction
      const continued = text.endsWith("\\");
      const body = continued ? text.slice(0, -1).trim() : text;
      if (pending) pending.args += ` ${body}`;
      else {
        const m = /^(\S+)\s*(.*)$/.exec(body)!;
        pending = { line: i + 1, op: m[1]!.toUpperCase(), args: m[2]! };
      }
      if (!continued) out.push(pending), (pending = undefined);
    });
  if (pending) out.push(pending);
  return out;
}

/** An exec-form (JSON array) argument list, or the shell form as one string. */
export function execForm(args: string): string[] {
  return args.trim().startsWith("[") ? (JSON.parse(args) as string[]) : [args];
}

export interface ContextCopy {
  line: number;
  sources: string[];
  dest: string;
}

/** COPY/ADD instructions that read from the build context (not --from another stage or image). */
export function contextCopies(ins: Instruction[]): ContextCopy[] {
  return ins
    .filter((i) => i.op === "COPY" || i.op === "ADD")
    .map((i) => ({ i, words: i.args.startsWith("[") ? (JSON.parse(i.args) as string[]) : i.args.split(/\s+/) }))
    .filter(({ words }) => !words.some((w) => w.startsWith("--from=")))
    .map(({ i, words }) => {
      const paths = words.filter((w) => !w.startsWith("--"));
      return { line: i.line, sources: paths.slice(0, -1), dest: paths[paths.length - 1]! };
    });
}

/** The user the image runs as: the last USER of the last stage. */
export function finalUser(ins: Instruction[]): string | undefined {
  const lastFrom = ins.map((i) => i.op).lastIndexOf("FROM");
  return ins.slice(lastFrom).filter((i) => i.op === "USER").pop()?.args;
}

/** .dockerignore patterns (root-relative paths, or **\/NAME): does one exclude this repository path? */
export function ignoredBy(patterns: string[], path: string): string | undefined {
  const parts = path.split("/");
  return patterns.find((p) => {
    if (p.startsWith("**/")) return parts.includes(p.slice(3));
    if (p.startsWith("*.")) return parts.length === 1 && path.endsWith(p.slice(1));
    return path === p || path.startsWith(`${p}/`);
  });
}
