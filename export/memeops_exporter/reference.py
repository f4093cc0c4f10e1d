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


def image_files(images_dir: Path) -> list[Path]:
    files = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"no .png/.jpg images in {images_dir}")
    return files


def write_files(onnx_path: Path, chunks: list[bytes], document: dict) -> Path:
    """<file>.reference.f32 (the chunks) and <file>.reference.json (the document, naming the .f32)."""
    data_path = onnx_path.with_name(onnx_path.name + ".reference.f32")
    data_path.write_bytes(b"".join(chunks))
    index_path = onnx_path.with_name(onnx_path.name + ".reference.json")
    index_path.write_text(json.dumps({**document, "data": data_path.name}, indent=1) + "\n")
    return index_path


def file_mode_and_size(path: Path) -> tuple[str, int, int]:
    """The file's own mode (L, RGB, RGBA...) and stored width and height."""
    with Image.open(path) as raw:
        return raw.mode, raw.width, raw.height


def write_reference(built, images_dir: Path, onnx_path: Path) -> Path:
    index, chunks, offset = [], [], 0
    with torch.no_grad():
        for path in image_files(images_dir):
            mode, width, height = file_mode_and_size(path)
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
    return write_files(onnx_path, chunks, {"output": built.output_names[0], "images": index})
