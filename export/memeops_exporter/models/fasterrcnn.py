"""fasterrcnn: torchvision's Faster R-CNN ResNet-50 FPN (COCO, 91 classes) with its ResNet-50 layer4 map (2048-d,
stride 32) as `features`: the interface of detection.py at 800x800.

Weights: torchvision's FasterRCNN_ResNet50_FPN_Weights.COCO_V1 (fetched by torchvision from its download host into
the torch hub cache; where that host is unreachable the export names the file and where to put it). Inference
settings are torchvision's (RPN 1000 proposals, box score > 0.05, per-class NMS 0.5, 100 detections); memeops then
keeps boxes scoring >= 0.2 after class-agnostic NMS 0.3 (the extractor's defaults)."""

from pathlib import Path

import torch
import torchvision
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.backbone_utils import BackboneWithFPN

from ..manifest import Source, sha256_file
from . import Built, Entry, MissingSource
from .detection import Detector, built_detector, randomise_detector
from .resnet import REDUCED_PLANES, reduced_resnet

SIZE = 800
WEIGHTS = "FasterRCNN_ResNet50_FPN_Weights.COCO_V1"
# The reduced test variant: the reduced ResNet (one Bottleneck per stage, an eighth of the width), a 16-channel FPN,
# a 32-wide box head, all 91 classes, at 256 px.
REDUCED = {"size": 256, "fpnChannels": 16, "representation": 32, "backbonePlanes": list(REDUCED_PLANES)}


class FpnFeatures(torch.nn.Module):
    """The ResNet body once: the FPN levels for the heads, and layer4 (body output "3") for memeops."""

    def __init__(self, backbone: BackboneWithFPN):
        super().__init__()
        self.backbone = backbone

    def forward(self, x):
        body = self.backbone.body(x)
        return self.backbone.fpn(body), body["3"]


def _real() -> tuple[FasterRCNN, Source]:
    weights = torchvision.models.detection.FasterRCNN_ResNet50_FPN_Weights.COCO_V1
    file_name = weights.url.rsplit("/", 1)[1]
    cache = f"{torch.hub.get_dir()}/checkpoints"
    try:
        rcnn = torchvision.models.detection.fasterrcnn_resnet50_fpn(weights=weights, progress=False)
    except Exception as e:  # urllib raises several kinds; every one means the same thing here
        raise MissingSource(
            f"fasterrcnn needs {file_name} (torchvision {WEIGHTS}) from {weights.url}, which is not reachable here "
            f"({type(e).__name__}); copy that file into {cache}/ and run again"
        ) from e
    source = Source(uri=weights.url, sha256=sha256_file(Path(cache) / file_name), description=f"torchvision {WEIGHTS}")
    return rcnn, source


def _reduced(seed: int) -> FasterRCNN:
    body = reduced_resnet(seed)
    in_channels = [p * 4 for p in REDUCED_PLANES]
    backbone = BackboneWithFPN(body, {f"layer{k}": str(k - 1) for k in (1, 2, 3, 4)}, in_channels, REDUCED["fpnChannels"])
    head = torchvision.models.detection.faster_rcnn.TwoMLPHead(REDUCED["fpnChannels"] * 7 * 7, REDUCED["representation"])
    predictor = torchvision.models.detection.faster_rcnn.FastRCNNPredictor(REDUCED["representation"], 91)
    return FasterRCNN(backbone, box_head=head, box_predictor=predictor)


def build(seed: int | None, reduced: bool, weights: str | None = None) -> Built:
    size = REDUCED["size"] if reduced else SIZE
    if seed is None:
        if reduced:
            raise ValueError("fasterrcnn: the reduced variant exists only with seeded random weights")
        rcnn, source = _real()
    else:
        torch.manual_seed(seed)
        # BatchNorm2d, not the FrozenBatchNorm2d of the pretrained model: calibration updates its statistics.
        rcnn = _reduced(seed) if reduced else torchvision.models.detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None)
        source = None
    detector = Detector(rcnn.eval(), FpnFeatures(rcnn.backbone), size)
    if seed is not None:
        randomise_detector(detector, torch.Generator().manual_seed(seed))
    details = {
        "architecture": "torchvision fasterrcnn_resnet50_fpn (ResNet-50 FPN, 91 COCO classes); features: ResNet layer4"
        + (f", reduced {REDUCED}" if reduced else ""),
        "reduced": REDUCED if reduced else None,
        "seed": seed,
    }
    return built_detector(detector, source, details)


ENTRY = Entry(name="fasterrcnn", file_name="fasterrcnn_coco.onnx", build=build, needs=[f"torchvision {WEIGHTS} (fasterrcnn_resnet50_fpn_coco-258fb6c6.pth)"])
