// `memeops models export|list`: the extractors' model files, made by the Python exporter (export/) in its own
// pinned environment. This command only finds that environment and runs it; the trainer never runs Python.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Command, parseFlags, UsageError, wantsHelp } from "../command.ts";

const EXPORTER_DIR = fileURLToPath(new URL("../../export/", import.meta.url));
/** Exit code of the exporter when some weights are not reachable (it has printed which files each model needs). */
const MISSING_SOURCES = 3;

const help = `Usage:
  memeops models export NAME... --out DIR [--weights PATH] [--python PATH]
  memeops models list [--python PATH]

export writes DIR/<file>.onnx and DIR/<file>.onnx.manifest.json for each NAME, from the real architecture and
weights (export/README.md lists the models, their files and sources); blip writes the directory
DIR/blip_captioning_base/ (three graphs, vocab.txt, their manifests). Point the trainer at DIR with
MEMEOPS_MODEL_DIR (or spec.features.model, spec.dataset.captions.model for blip); the manifests are checked when
the files are opened.
When a model's weights cannot be reached from here, it says so, names the file it needs and where to put it,
and exits 1 (the other models are still exported). --weights PATH gives the weights file of a model that no
registry or hub serves (fasterrcnn_vg: faster_rcnn_res101_vg.pth), with that one NAME.

The exporter runs in its own Python environment: --python, else $MEMEOPS_EXPORTER_PYTHON, else
~/.cache/memeops/exporter-venv/bin/python (make exporter-venv installs it from export/requirements.txt).`;

export function exporterPython(flag: string | undefined): string {
  const python = flag ?? process.env.MEMEOPS_EXPORTER_PYTHON ?? join(homedir(), ".cache/memeops/exporter-venv/bin/python");
  if (!existsSync(python)) {
    throw new Error(`the exporter's Python environment is not installed (${python} not found): run \`make exporter-venv\`, or pass --python`);
  }
  return python;
}

function runExporter(python: string, args: string[]): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(python, ["-m", "memeops_exporter", ...args], { cwd: EXPORTER_DIR, stdio: "inherit" });
    child.on("error", fail);
    child.on("exit", (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

export const modelsCommand: Command = {
  name: "models",
  summary: "export the feature extractors' and the captioner's model files (ONNX + manifest) from the real architectures",
  help,
  async run(args) {
    if (wantsHelp(args)) return (console.log(this.help), 0);
    const { values, positionals } = parseFlags(args, { out: { type: "string" }, python: { type: "string" }, weights: { type: "string" } });
    const [sub, ...names] = positionals;
    if (sub === "list") {
      if (names.length > 0) throw new UsageError(`unexpected ${names.join(" ")}`);
      return runExporter(exporterPython(values.python), ["list"]);
    }
    if (sub !== "export") throw new UsageError(sub ? `unknown subcommand '${sub}'` : "missing subcommand: export or list");
    if (names.length === 0) throw new UsageError("name at least one model (memeops models list)");
    if (!values.out) throw new UsageError("--out DIR is required");
    const weights = values.weights === undefined ? [] : ["--weights", resolve(values.weights)];
    const code = await runExporter(exporterPython(values.python), ["export", ...names, "--out", resolve(values.out), ...weights]);
    if (code === MISSING_SOURCES) {
      console.error("memeops models: some models were not exported: their weights are not reachable from here (the files each needs are named above)");
      return 1;
    }
    return code;
  },
};
