// The `memeops` binary as users run it: a child process, its exit code, and what it prints.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const memeops = (...args: string[]) => {
  const r = spawnSync(process.execPath, ["cli/bin/memeops.mjs", ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const tmp = mkdtempSync(join(tmpdir(), "memeops-cli-"));

describe("memeops", () => {
  it("validate: exit 0 for the samples", () => {
    const r = memeops("validate", "conf/experiments/quickstart.yaml", "conf/experiments/train-hf-resnet.yaml");
    expect(r.stdout).toBe("");
    expect(r.code).toBe(0);
  });

  it("validate: exit 1 and FILE: field: problem for each problem", () => {
    const bad = join(tmp, "bad.yaml");
    writeFileSync(
      bad,
      "apiVersion: memeops.io/v1alpha1\nkind: MemeExperiment\nmetadata: {name: b}\nspec:\n  dataset: {source: {synthetic: {}}}\n  features: {extractor: vgg}\n  training: {learningRate: -1}\n",
    );
    const r = memeops("validate", "conf/experiments/quickstart.yaml", bad, join(tmp, "missing.yaml"));
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split("\n").sort()).toEqual(
      [
        `${bad}: spec.features.extractor: Invalid option: expected one of "pixels"|"resnet"|"clip"|"fasterrcnn"|"fasterrcnn_vg"|"efficientnet"`,
        `${bad}: spec.training.learningRate: Too small: expected number to be >0`,
        `${join(tmp, "missing.yaml")}: (file): no such file`,
      ].sort(),
    );
  });

  it("models export: names the missing exporter environment, and how to install it", () => {
    const r = memeops("models", "export", "efficientnet", "--out", join(tmp, "models"), "--python", join(tmp, "no-python"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("exporter's Python environment is not installed");
    expect(r.stderr).toContain("make exporter-venv");
    expect(memeops("models", "export", "efficientnet").code).toBe(2);
  });

  it("models export: unreachable weights end in exit 1 after the exporter names the files", () => {
    // Where the exporter's environment is absent (CI has no torch), a stand-in with its exit-3 contract.
    const python = join(tmp, "exporter-python");
    writeFileSync(python, '#!/bin/sh\necho "not exported: resnet needs resnet152-f82ba261.pth" >&2\nexit 3\n', { mode: 0o755 });
    const r = memeops("models", "export", "resnet", "--out", join(tmp, "models"), "--python", python);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("resnet needs resnet152-f82ba261.pth");
    expect(r.stderr).toContain("weights are not reachable from here");
  });

  it("models export --weights: the file goes to the exporter as an absolute path", () => {
    const python = join(tmp, "exporter-echo");
    writeFileSync(python, '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
    const r = memeops("models", "export", "fasterrcnn_vg", "--out", "models", "--weights", "vg.pth", "--python", python);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`-m memeops_exporter export fasterrcnn_vg --out ${resolve("models")} --weights ${resolve("vg.pth")}`);
  });

  it("validate: usage error without files", () => {
    expect(memeops("validate").code).toBe(2);
  });

  it("crd prints the committed CRDs: both kinds, or the one --kind names", () => {
    const [experiment, sweep] = ["memeexperiment", "memesweep"].map((k) => readFileSync(`crds/${k}.yaml`, "utf8"));
    expect(memeops("crd")).toMatchObject({ code: 0, stdout: `${experiment}---\n${sweep}` });
    expect(memeops("crd", "--kind", "memesweep")).toMatchObject({ code: 0, stdout: sweep });
    expect(memeops("crd", "--kind", "nope").code).toBe(2);
  });

  it.each(["validate", "crd", "run", "data", "operator", "trainer"])("%s --help", (name) => {
    const r = memeops(name, "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: memeops /);
  });

  it("run --dry-run prints the stages of the experiment's mode, and --stages must be among them", () => {
    const r = memeops("run", "conf/experiments/evaluate-local.yaml", "--dry-run", "--stages", "prepare");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1\. prepare: load the huggingface dataset/);
    expect(r.stdout).toMatch(/2\. evaluate: evaluate the best checkpoint of experiment train-facebook-frcnn .*\(skipped\)/);
    const wrong = memeops("run", "conf/experiments/evaluate-local.yaml", "--stages", "train");
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("'train' is not a stage of this experiment (prepare, evaluate)");
  });

  it("run --stages prepare prepares the quickstart's synthetic data and reports it", () => {
    const r = memeops("run", "conf/experiments/quickstart.yaml", "--out", join(tmp, "qs"), "--storage", join(tmp, "storage"), "--stages", "prepare");
    expect(r.stderr).not.toContain("Error");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/train +\d+ items/);
    const manifest = JSON.parse(readFileSync(join(tmp, "qs", "prepared", "manifest.json"), "utf8"));
    expect(manifest.features).toMatchObject({ regions: 16 });
  });

  it("an unknown command lists the commands and exits 2", () => {
    const r = memeops("train");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'train'");
    expect(r.stderr).toContain("validate");
  });
});
