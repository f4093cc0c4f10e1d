"""torch.nn.Module -> one self-contained ONNX file with a dynamic batch dimension."""

import time
from pathlib import Path

import onnx
import torch

OPSET = 18


def export_onnx(module: torch.nn.Module, input_name: str, output_name: str, input_shape: tuple[int, ...], out: Path) -> float:
    """Returns the export's wall time in seconds."""
    start = time.perf_counter()
    dummy = torch.zeros((2, *input_shape))
    with torch.no_grad():
        torch.onnx.export(
            module,
            (dummy,),
            str(out),
            input_names=[input_name],
            output_names=[output_name],
            dynamic_axes={input_name: {0: "N"}, output_name: {0: "N"}},
            opset_version=OPSET,
            external_data=False,
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
