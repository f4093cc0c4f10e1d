// The exporter's --skip-valid check (export/memeops_exporter/manifest.py check_existing), run by the system Python:
// it needs no torch. The chart's export Job runs on every `helm upgrade`; it must keep a whole real export and
// redo anything missing, half-written, stale, for another model or made of seeded test weights.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const EXPORT_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "export");

function check(dir: string, file: string, model: string): string | null {
  const code = "import sys, json; from pathlib import Path; from memeops_exporter.manifest import check_existing; print(json.dumps(check_existing(Path(sys.argv[1]), sys.argv[2])))";
  const r = spawnSync("python3", ["-c", code, join(dir, file), model], { cwd: EXPORT_DIR, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python3: ${r.stderr}`);
  return JSON.parse(r.stdout) as string | null;
}

function exported(o: { bytes?: string; manifest?: Record<string, unknown> | string | null } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "memeops-check-existing-"));
  const bytes = o.bytes ?? "onnx bytes";
  writeFileSync(join(dir, "resnet152.onnx"), bytes);
  const manifest = {
    format: "memeops-model-manifest/v1",
    model: "resnet",
    file: "resnet152.onnx",
    sha256: createHash("sha256").update(bytes).digest("hex"),
    bytes: Buffer.byteLength(bytes),
    testOnly: false,
    source: { uri: "https://download.pytorch.org/models/resnet152-f82ba261.pth", sha256: "f".repeat(64), description: "d" },
    exporter: {},
  };
  if (o.manifest !== null) {
    const text = typeof o.manifest === "string" ? o.manifest : JSON.stringify({ ...manifest, ...o.manifest });
    writeFileSync(join(dir, "resnet152.onnx.manifest.json"), text);
  }
  return dir;
}

describe("check_existing", () => {
  test("a whole real export of the model is kept", () => {
    expect(check(exported(), "resnet152.onnx", "resnet")).toBeNull();
  });

  test.each([
    ["no file", () => mkdtempSync(join(tmpdir(), "memeops-check-existing-")), /resnet152\.onnx is not there/],
    ["no manifest", () => exported({ manifest: null }), /has no manifest resnet152\.onnx\.manifest\.json/],
    ["a manifest that is not JSON", () => exported({ manifest: "{half" }), /not readable JSON/],
    ["another format", () => exported({ manifest: { format: "other/v2" } }), /not a memeops-model-manifest\/v1 manifest/],
    ["another model's manifest", () => exported({ manifest: { model: "clip" } }), /describes clip \(resnet152\.onnx\), not resnet/],
    ["seeded test weights", () => exported({ manifest: { testOnly: true, source: null } }), /seeded test weights/],
    ["a half-written file (size differs)", () => exported({ manifest: { bytes: 999 } }), /size or sha256 differ/],
    ["a stale file (sha256 differs)", () => exported({ manifest: { sha256: "0".repeat(64) } }), /size or sha256 differ/],
  ])("%s: exported again, saying why", (_name, dir, why) => {
    expect(check(dir(), "resnet152.onnx", "resnet")).toMatch(why);
  });
});
