// The exporter's --skip-valid check (export/memeops_exporter/manifest.py check_existing), run by the system Python:
// it needs no torch. The chart's export Job runs on every `helm upgrade`; it must keep a whole real export and
// redo anything missing, half-written, stale, for another model or made of seeded test weights. Then the command
// itself (__main__) with torch's parts replaced by fakes: a kept model is not even built (no hub needed).
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

/** `python -m memeops_exporter export ...` with fake model entries and ONNX export (the real ones need torch). */
function exportWithFakes(out: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const driver = `
import sys, types, json
from pathlib import Path
built = []
class MissingSource(Exception): pass
class Entry:
    export = None
    takes_weights_file = False
    def __init__(self, name, file_name): self.name, self.file_name, self.needs = name, file_name, []
    def output_files(self): return (self.file_name,)
    def build(self, seed, reduced, weights):
        built.append(self.name)
        if self.name == "clip": raise MissingSource("clip needs openai/clip-vit-base-patch32, not reachable here")
        return types.SimpleNamespace(module=None, input_name="input", output_names=("out",), input_shape=(3,), batch=None, legacy_exporter=False, source=manifest.Source("https://hub/w", "0" * 64, "fake"), details={})
models = types.ModuleType("memeops_exporter.models")
models.MissingSource = MissingSource
models.entries = lambda: {e.name: e for e in [Entry("efficientnet", "efficientnet_lite0.onnx"), Entry("resnet", "resnet152.onnx"), Entry("clip", "clip.onnx")]}
onnx_export = types.ModuleType("memeops_exporter.onnx_export")
def export_onnx(module, i, o, shape, path, batch=None, legacy=False):
    Path(path).write_bytes(b"fresh export")
    return 0.0
onnx_export.export_onnx = export_onnx
reference = types.ModuleType("memeops_exporter.reference")
reference.write_reference = None
sys.modules.update({"memeops_exporter.models": models, "memeops_exporter.onnx_export": onnx_export, "memeops_exporter.reference": reference})
from memeops_exporter import manifest
manifest.exporter_versions = lambda: {"memeopsExporter": "test"}
from memeops_exporter.__main__ import main
code = main(sys.argv[1:])
print("BUILT " + json.dumps(built))
sys.exit(code)
`;
  const r = spawnSync("python3", ["-c", driver, "export", ...args, "--out", out], { cwd: EXPORT_DIR, encoding: "utf8" });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

describe("export --skip-valid", () => {
  test("keeps the valid export without building it, exports the stale one, and still names what it cannot reach", () => {
    const dir = exported(); // a valid resnet152.onnx
    writeFileSync(join(dir, "efficientnet_lite0.onnx"), "half");
    const r = exportWithFakes(dir, ["efficientnet", "resnet", "clip", "--skip-valid"]);
    expect(r.stdout).toContain('BUILT ["efficientnet", "clip"]');
    expect(r.stdout).toMatch(/"model": "resnet", [^\n]*"skipped": "a valid export is already there"/);
    expect(r.stderr).toMatch(/exporting efficientnet: efficientnet_lite0\.onnx has no manifest/);
    expect(r.stderr).toContain("not exported: clip needs openai/clip-vit-base-patch32");
    expect(r.code).toBe(3);
    // the fresh export now passes the check, so the next run builds nothing but what is still missing
    expect(check(dir, "efficientnet_lite0.onnx", "efficientnet")).toBeNull();
    expect(exportWithFakes(dir, ["efficientnet", "resnet", "--skip-valid"]).stdout).toContain("BUILT []");
  });

  test("without --skip-valid every model is built again", () => {
    const r = exportWithFakes(exported(), ["resnet"]);
    expect(r.stdout).toContain('BUILT ["resnet"]');
    expect(r.code).toBe(0);
  });
});
