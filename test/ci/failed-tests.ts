// What failed in a vitest run, from its JSON report, as the last lines CI prints: the tail of CI's output is often
// all one gets to see, and vitest's own failure section comes before the cluster's teardown and make's lines.
import { existsSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

interface Assertion {
  fullName: string;
  status: string;
  failureMessages?: string[];
}
export interface FileResult {
  name: string;
  status: string;
  message?: string;
  assertionResults?: Assertion[];
}

const MESSAGE_CHARS = 1500;
// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");

/** A failure's message without its stack, but for the frame in the project's own files that raised it. */
function brief(messages: string[], root: string): string {
  const lines = plain(messages.join("\n")).split("\n");
  const stack = (l: string) => /^\s+at /.test(l);
  const own = lines.find((l) => stack(l) && l.includes(root) && !l.includes("node_modules"));
  return [...lines.filter((l) => !stack(l)), ...(own ? [own.trim().replace(root, "")] : [])].join("\n  ").slice(0, MESSAGE_CHARS);
}

/** One entry per failed test (or per file that failed outside its tests), paths relative to `root`. */
export function failureSummary(files: readonly FileResult[], root: string): string {
  const lines: string[] = [];
  for (const f of files) {
    const file = f.name.replace(root, "");
    const failed = (f.assertionResults ?? []).filter((a) => a.status === "failed");
    if (f.status === "failed" && failed.length === 0) lines.push(`FAIL ${file}: ${brief([f.message ?? "(no message)"], root)}`);
    for (const a of failed) lines.push(`FAIL ${file} > ${a.fullName}\n  ${brief(a.failureMessages ?? [], root)}`);
  }
  return lines.length ? `ci: ${lines.length} failed:\n${lines.join("\n")}` : "ci: the vitest report lists no failed test";
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const report = process.argv[2] ?? ".memeops/vitest-report.json";
  if (!existsSync(report)) console.log(`ci: no vitest report at ${report} (vitest did not get to write one)`);
  else console.log(failureSummary((JSON.parse(readFileSync(report, "utf8")) as { testResults: FileResult[] }).testResults, `${process.cwd()}/`));
}
