// docs/install.md against the chart: every helm command in it renders with the real helm (so every --set names a
// real value, which the schema's additionalProperties would refuse otherwise), the table's values and defaults are
// values.yaml's, and the objects its kubectl commands name are the ones the chart creates.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { CHART, find, helm, render, root } from "./helm.ts";

const doc = readFileSync(join(root, "docs", "install.md"), "utf8");
const values = parseYaml(readFileSync(join(CHART, "values.yaml"), "utf8"));
/** Shell commands in the doc's code blocks, with continuation lines joined. */
const commands = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.replace(/\\\n\s*/g, " ").split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean));
const at = (path: string) => path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], values);

test("the doc has helm install, upgrade and uninstall commands", () => {
  for (const verb of ["install", "upgrade", "uninstall", "template"]) expect(commands.some((c) => c.startsWith(`helm ${verb} `)), verb).toBe(true);
});

describe("each helm install/upgrade/template command renders", () => {
  const helmCommands = commands.filter((c) => /^helm (install|upgrade|template) /.test(c));
  test.each(helmCommands)("%s", (command) => {
    const words = command.split(/\s+/).map((w) => w.replace(/^'(.*)'$/, "$1"));
    const [, , release, chart, ...rest] = words;
    expect(chart).toBe("charts/memeops");
    // keep what `helm template` takes: namespace and --set; drop install-only flags and what follows a pipe
    const args: string[] = [];
    for (let i = 0; i < rest.length && rest[i] !== "|"; i++) {
      const w = rest[i]!;
      if (w === "--namespace" || w === "--set" || w === "--show-only") args.push(w, rest[++i]!);
      else if (!["--create-namespace", "--reuse-values"].includes(w)) throw new Error(`flag not understood by this test: ${w}`);
    }
    const r = helm(["template", release!, join(root, chart!), ...args]);
    expect(r.out).not.toMatch(/^Error:/m);
    expect(r.code).toBe(0);
  });
});

test("the value table names real values with their real defaults", () => {
  const rows = [...doc.matchAll(/^\| `([a-zA-Z.]+)`(?: \/ `([a-zA-Z.]+)`)? \| ([^|]+) \|/gm)];
  expect(rows.length).toBeGreaterThan(10);
  for (const [, key, key2, dflt] of rows) {
    for (const k of [key!, key2].filter(Boolean) as string[]) expect(at(k), k).not.toBeUndefined();
    const shown = dflt!.trim();
    const literal = /^`([^`]*)`(?: \(all\))?(?: \/ `([^`]*)`)?$/.exec(shown);
    if (!literal) continue; // a description ("the report Service")
    const expectText = (k: string, text: string) => expect(JSON.stringify(at(k)).replace(/^"(.*)"$/, "$1"), k).toBe(text === '""' ? "" : text);
    expectText(key!, literal[1]!);
    if (key2 && literal[2] !== undefined) expectText(key2, literal[2]);
  }
});

test("the objects the doc's kubectl commands name exist in the default install", () => {
  const { objects } = render({ release: "memeops", namespace: "memeops-system" });
  const named = new Set(objects.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`));
  const refs = [...doc.matchAll(/\b(deployment|svc|service|serviceaccount)\/(memeops-[a-z-]+)/g)].map(([, kind, name]) => `${kind === "svc" ? "service" : kind}/${name}`);
  expect(refs.length).toBeGreaterThan(3);
  for (const r of refs) expect(named.has(r), r).toBe(true);
  expect(find(objects, "Service", "memeops-operator")[0]!.spec.ports[0].port).toBe(8082);
  expect(doc).toContain("system:serviceaccount:memeops-system:memeops-operator");
});
