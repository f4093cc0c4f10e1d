"""The PyTorch module's own outputs on image files, through the entry's reference preprocessing: what the TypeScript
extractor must reproduce. Written as <file>.reference.json (index) + <file>.reference.f32 (little-endian float32)."""

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


def load_rgb(path: Path) -> Image.Image:
    """As the trainer decodes (data/decode.ts): EXIF orientation applied, alpha dropped (not composited), gray to RGB."""
    with Image.open(path) as img:
        return ImageOps.exif_transpose(img).convert("RGB")


def write_reference(built, images_dir: Path, onnx_path: Path) -> Path:
    files = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"no .png/.jpg images in {images_dir}")
    index, chunks, offset = [], [], 0
    with torch.no_grad():
        for path in files:
            with Image.open(path) as raw:
                mode, (width, height) = raw.mode, raw.size
            resized = built.resize(load_rgb(path))
            y = built.module(built.to_tensor(resized)[None]).numpy().astype("<f4")
            index.append({
                "file": path.name, "mode": mode, "width": width, "height": height,
                # sha256 of the resized RGB bytes (HWC): the trainer's resize must give the same bytes
                "resizedSha256": hashlib.sha256(resized.tobytes()).hexdigest(),
                "offset": offset, "shape": list(y.shape[1:]),
            })
            chunks.append(y.tobytes())
            offset += y.size
    data_path = onnx_path.with_name(onnx_path.name + ".reference.f32")
    data_path.write_bytes(b"".join(chunks))
    index_path = onnx_path.with_name(onnx_path.name + ".reference.json")
    index_path.write_text(json.dumps({"output": built.output_name, "data": data_path.name, "images": index}, indent=1) + "\n")
    return index_path
