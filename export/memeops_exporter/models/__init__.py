"""Model entries by name. Adding one: a module here with an ENTRY, and one line in ENTRIES."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from ..manifest import Source


class MissingSource(Exception):
    """The real weights are not reachable here; the message names what is needed and where it comes from."""


@dataclass
class Built:
    """A module ready to export, with what the manifest and the reference outputs need."""

    module: torch.nn.Module
    input_name: str
    output_names: tuple[str, ...]
    input_shape: tuple[int, ...]
    source: Source | None
    details: dict
    # The reference preprocessing the trainer must reproduce, in two steps so the resized bytes can be compared too:
    # RGB PIL image -> resized PIL image -> the [C, H, W] tensor the module takes.
    resize: Callable
    to_tensor: Callable
    # None: a dynamic batch axis; else the graph takes exactly this many images per run.
    batch: int | None = None
    # torchvision's detectors export only with the legacy TorchScript-based exporter (dynamo=False).
    legacy_exporter: bool = False
    # (built, images dir, onnx path) -> the reference index written beside the file; None: reference.write_reference
    write_reference: Callable | None = None


@dataclass(frozen=True)
class Entry:
    name: str
    file_name: str
    # (seed, reduced, weights): real weights when seed is None (from the file `weights` names where the entry takes
    # one), else seeded random weights (reduced: smaller width/depth for committed tests)
    build: Callable[[int | None, bool, str | None], Built] | None
    needs: list[str] = field(default_factory=list)
    # whether `--weights PATH` names the real weights file (entries whose weights no registry or hub serves)
    takes_weights_file: bool = False
    # A model of several files (BLIP: graphs and a vocabulary) writes them itself instead of `build`:
    # (out, seed, reduced, reference images) -> one result line per file.
    export: Callable[[Path, int | None, bool, Path | None], list[dict]] | None = None
    # The files (relative to the output directory) each with a manifest that make the export whole; default file_name.
    files: tuple[str, ...] = ()

    def output_files(self) -> tuple[str, ...]:
        return self.files or (self.file_name,)


def entries() -> dict[str, Entry]:
    from . import blip, clip, efficientnet, fasterrcnn, fasterrcnn_vg, resnet

    return {e.name: e for e in [efficientnet.ENTRY, resnet.ENTRY, clip.ENTRY, fasterrcnn.ENTRY, fasterrcnn_vg.ENTRY, blip.ENTRY]}
