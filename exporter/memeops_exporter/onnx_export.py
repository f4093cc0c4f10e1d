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
    onnx.checker.check_model(model)
    return time.perf_counter() - start
