"""resnet: torchvision's ResNet-152 without avgpool and fc, layer4 map [N, 2048, 7, 7] for a 224 input.

Weights: torchvision's ResNet152_Weights.IMAGENET1K_V2 (fetched by torchvision from its download host into the
torch hub cache; where that host is unreachable the export names the file and where to put it). Reference
preprocessing: the image squashed to 224x224 with PIL bilinear (torchvision's Resize on a PIL image), ImageNet
mean/std; torchvision's evaluation recipe resizes to 232 and center-crops 224, which memeops does not do, so
that every grid cell is a cell of the whole meme."""

from pathlib import Path

import torch
import torchvision
from torchvision import transforms
from torchvision.models.resnet import Bottleneck, ResNet

from ..manifest import Source, sha256_file
from . import Built, Entry, MissingSource
from .calibration import calibrate, damp_residual_branches, randomise_affine

SIZE = 224
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
# The reduced test variant: one Bottleneck per stage, an eighth of the width (layer4 gives 256 channels, not 2048).
REDUCED_PLANES = (8, 16, 32, 64)


def _body(net: ResNet) -> torch.nn.Module:
    """Everything before avgpool and fc: the layer4 map."""
    return torch.nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1, net.layer2, net.layer3, net.layer4)


def reduced_resnet(seed: int) -> ResNet:
    """The reduced test variant (also the detectors' reduced backbone)."""
    torch.manual_seed(seed)
    net = ResNet(Bottleneck, [1, 1, 1, 1])
    net.inplanes = REDUCED_PLANES[0]
    net.conv1 = torch.nn.Conv2d(3, net.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
    net.bn1 = torch.nn.BatchNorm2d(net.inplanes)
    net.layer1 = net._make_layer(Bottleneck, REDUCED_PLANES[0], 1)
    net.layer2 = net._make_layer(Bottleneck, REDUCED_PLANES[1], 1, stride=2)
    net.layer3 = net._make_layer(Bottleneck, REDUCED_PLANES[2], 1, stride=2)
    net.layer4 = net._make_layer(Bottleneck, REDUCED_PLANES[3], 1, stride=2)
    return net


def _real() -> tuple[ResNet, Source]:
    weights = torchvision.models.ResNet152_Weights.IMAGENET1K_V2
    file_name = weights.url.rsplit("/", 1)[1]
    cache = f"{torch.hub.get_dir()}/checkpoints"
    try:
        state = torch.hub.load_state_dict_from_url(weights.url, progress=False, check_hash=True, map_location="cpu")
    except Exception as e:  # urllib raises several kinds; every one means the same thing here
        raise MissingSource(
            f"resnet needs {file_name} (torchvision ResNet152_Weights.IMAGENET1K_V2) from {weights.url}, "
            f"which is not reachable here ({type(e).__name__}); copy that file into {cache}/ and run again"
        ) from e
    net = torchvision.models.resnet152()
    net.load_state_dict(state, strict=True)
    source = Source(uri=weights.url, sha256=sha256_file(Path(cache) / file_name), description="torchvision ResNet-152 IMAGENET1K_V2")
    return net, source


def build(seed: int | None, reduced: bool, weights: str | None = None) -> Built:
    if seed is None:
        if reduced:
            raise ValueError("resnet: the reduced variant exists only with seeded random weights")
        net, source = _real()
    else:
        net = reduced_resnet(seed) if reduced else torchvision.models.resnet152()
        generator = torch.Generator().manual_seed(seed)
        randomise_affine(net, generator)
        damp_residual_branches(net)
        calibrate(net, _body(net), SIZE, generator)
        source = None
    channels = net.layer4[-1].conv3.out_channels
    resize = transforms.Resize((SIZE, SIZE), interpolation=transforms.InterpolationMode.BILINEAR)
    to_tensor = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    details = {
        "architecture": "torchvision resnet152 without avgpool and fc" if not reduced else f"torchvision ResNet, Bottleneck [1,1,1,1], planes {list(REDUCED_PLANES)}",
        "reduced": {"planes": list(REDUCED_PLANES), "blocks": [1, 1, 1, 1]} if reduced else None,
        "seed": seed,
        "input": {"name": "input", "shape": ["N", 3, SIZE, SIZE]},
        "output": {"name": "layer4", "shape": ["N", channels, 7, 7]},
        "preprocessing": "RGB squashed to 224x224 with PIL bilinear, then ImageNet mean/std",
    }
    return Built(_body(net).eval(), "input", ("layer4",), (3, SIZE, SIZE), source, details, resize, to_tensor)


ENTRY = Entry(name="resnet", file_name="resnet152.onnx", build=build, needs=["torchvision ResNet152_Weights.IMAGENET1K_V2 (resnet152-f82ba261.pth)"])
