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
    output_name: str
    input_shape: tuple[int, ...]
    source: Source | None
    details: dict
    # The reference preprocessing the trainer must reproduce, in two steps so the resized bytes can be compared too:
    # RGB PIL image -> resized PIL image -> the [C, H, W] tensor the module takes.
    resize: Callable
    to_tensor: Callable


@dataclass(frozen=True)
class Entry:
    name: str
    file_name: str
    # real weights when seed is None, else seeded random weights (reduced: smaller width/depth for committed tests)
    build: Callable[[int | None, bool], Built] | None
    needs: list[str] = field(default_factory=list)
    # A model of several files (BLIP: graphs and a vocabulary) writes them itself instead of `build`:
    # (out, seed, reduced, reference images) -> one result line per file.
    export: Callable[[Path, int | None, bool, Path | None], list[dict]] | None = None
    # The files (relative to the output directory) each with a manifest that make the export whole; default file_name.
    files: tuple[str, ...] = ()

    def output_files(self) -> tuple[str, ...]:
        return self.files or (self.file_name,)


def entries() -> dict[str, Entry]:
    from . import blip, clip, efficientnet, resnet

    return {e.name: e for e in [efficientnet.ENTRY, resnet.ENTRY, clip.ENTRY, blip.ENTRY]}
