"""torch.nn.Module -> one self-contained ONNX file, with a dynamic batch dimension unless the model fixes it."""

import time
from pathlib import Path

import onnx
import torch

OPSET = 18


def export_onnx(
    module: torch.nn.Module,
    input_name: str,
    output_names: tuple[str, ...],
    input_shape: tuple[int, ...],
    out: Path,
    batch: int | None = None,
    legacy: bool = False,
) -> float:
    """A one-input image model: a dynamic batch axis where batch is None, else exactly `batch` images per run.
    Returns the export's wall time in seconds."""
    shape = (batch or 2, *input_shape)
    # A traced detector sees a seeded random image, not zeros: its trace follows the data (what survives NMS).
    dummy = torch.rand(shape, generator=torch.Generator().manual_seed(0)) if legacy else torch.zeros(shape)
    dynamic = None if batch else {name: {0: "N"} for name in (input_name, *output_names)}
    return export_graph(module, (dummy,), [input_name], list(output_names), dynamic, out, legacy=legacy)


def export_graph(
    module: torch.nn.Module,
    args: tuple,
    input_names: list[str],
    output_names: list[str],
    dynamic_axes: dict | None,
    out: Path,
    dynamic_shapes: tuple | None = None,
    legacy: bool = False,
) -> float:
    """Any module with named inputs and outputs, dynamic by name (dynamic_axes) or, for a forward(*args) the exporter
    cannot map names onto, by position (dynamic_shapes: torch.export's per-argument {axis: Dim}). legacy: the
    TorchScript exporter (torchvision's detection heads export only with it). Returns the export's wall time in seconds."""
    start = time.perf_counter()
    with torch.no_grad():
        torch.onnx.export(
            module,
            args,
            str(out),
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            **({} if dynamic_shapes is None else {"dynamic_shapes": dynamic_shapes}),
            opset_version=OPSET,
            external_data=False,
            dynamo=not legacy,
        )
    model = onnx.load(str(out))
    _strip_provenance(model.graph)
    onnx.checker.check_model(model)
    onnx.save(model, str(out))
    return time.perf_counter() - start


def _strip_provenance(graph: onnx.GraphProto) -> None:
    """The exporter annotates every node with Python stack traces (absolute paths, line numbers): the same model
    would give different bytes from another checkout, and the file would carry this machine's paths."""
    for node in graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                _strip_provenance(attribute.g)
