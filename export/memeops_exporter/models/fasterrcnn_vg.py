"""fasterrcnn_vg: the Visual Genome Faster R-CNN (ResNet-101 C4, 1600 classes + background) the original project used,
rebuilt from torchvision parts: the interface of detection.py at 600x600, `features` = layer4 over the whole image
(2048-d, stride 32).

Source: `faster_rcnn_res101_vg.pth` from Google Drive id 18n_3V1rywgeADZ3oONO0DsuuS9eMW6sN, published by
github.com/shilrley6/Faster-R-CNN-with-model-pretrained-on-Visual-Genome (trained with jwyang/faster-rcnn.pytorch,
pytorch-1.0 branch: `resnet(classes, 101)`; anchor scales 4, 8, 16, 32 and ratios 0.5, 1, 2 at stride 16; RoIAlign
7x7; Caffe's BGR pixel means without std). Google Drive is not a registry the exporter can fetch from: a user who has
the file passes it with --weights PATH.

The architecture, as faster-rcnn.pytorch builds it, in torchvision's parts:
- backbone: torchvision's ResNet-101 conv1..layer3 (1024 channels, stride 16) with Caffe's layout, as
  faster-rcnn.pytorch's resnet.py has it: each stage's stride on its first block's 1x1 conv1 (torchvision puts it on
  the 3x3 conv2), and max pooling without padding, rounding up;
- RPN: a 3x3 conv 1024 -> 512 + ReLU (torchvision's RPNHead with its conv narrowed), 12 anchors per location with
  faster-rcnn.pytorch's anchor boxes and fixed stride 16, legacy box decoding (widths x2 - x1 + 1), 6000 boxes before
  and 300 after NMS 0.7;
- box head: MultiScaleRoIAlign on the one map (7x7, adaptive sampling, not aligned: faster-rcnn.pytorch's ROIAlign),
  layer4 (stride 2) and the spatial mean (2048-d), FastRCNNPredictor (1601 classes, class-specific boxes; box weights
  10, 10, 5, 5 = its BBOX_NORMALIZE_STDS 0.1, 0.1, 0.2, 0.2).

Checkpoint names -> this module's (from_published below; checkpoint['model'], a DataParallel 'module.' prefix dropped):
  RCNN_base.0.*  -> backbone.conv1.*   (input channels reversed: the graph takes RGB, the checkpoint BGR)
  RCNN_base.1.*  -> backbone.bn1.*
  RCNN_base.4/5/6.* -> backbone.layer1/2/3.*
  RCNN_top.0.*   -> roi_heads.box_head.layer4.*
  RCNN_rpn.RPN_Conv.*      -> rpn.head.conv.0.0.*
  RCNN_rpn.RPN_cls_score.* -> rpn.head.cls_logits.*  (2A softmax channels, background first, -> A sigmoid logits:
                              foreground minus background, the same probability)
  RCNN_rpn.RPN_bbox_pred.* -> rpn.head.bbox_pred.*
  RCNN_cls_score.*  -> roi_heads.box_predictor.cls_score.*
  RCNN_bbox_pred.*  -> roi_heads.box_predictor.bbox_pred.*  (a class-agnostic checkpoint's 4 rows repeated per class)
What stays different from faster-rcnn.pytorch's test code: boxes are clipped to the image's width and height (it
clips to width - 1 and height - 1), RPN proposals narrower than 0.001 px are dropped and box deltas are clamped at
log(1000/16) (torchvision's), and the second stage is torchvision's postprocess_detections (per-class score > 0.05,
per-class NMS 0.3, the best 100) where bottom-up attention's generate_tsv.py took each proposal's best class.
memeops letterboxes to 600 px on the longest side; faster-rcnn.pytorch scaled the shortest side to 600 (longest
at most 1000)."""

import math
from collections import OrderedDict
from pathlib import Path

import torch
import torchvision
from torch import nn
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection._utils import BoxCoder
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor
from torchvision.models.detection.rpn import RPNHead
from torchvision.models.resnet import ResNet
from torchvision.ops import Conv2dNormActivation, MultiScaleRoIAlign

from ..manifest import Source, sha256_file
from . import Built, Entry, MissingSource
from .detection import Detector, built_detector, randomise_detector
from .resnet import REDUCED_PLANES, reduced_resnet

SIZE = 600
FILE = "faster_rcnn_res101_vg.pth"
DRIVE_ID = "18n_3V1rywgeADZ3oONO0DsuuS9eMW6sN"
REPOSITORY = "https://github.com/shilrley6/Faster-R-CNN-with-model-pretrained-on-Visual-Genome"
CLASSES = 1601
STRIDE = 16
ANCHOR_SCALES = (4, 8, 16, 32)
ANCHOR_RATIOS = (0.5, 1.0, 2.0)
PIXEL_MEANS_BGR = (102.9801, 115.9465, 122.7717)
RPN_CHANNELS = 512
# The reduced test variant: the reduced ResNet (one Bottleneck per stage, an eighth of the width) in Caffe's layout,
# a 32-channel RPN conv, 41 classes (1601 x 256 class-specific box rows alone would be 6.5 MB), at 256 px.
REDUCED = {"size": 256, "classes": 41, "rpnChannels": 32, "backbonePlanes": list(REDUCED_PLANES)}


def caffe_layout(net: ResNet) -> ResNet:
    """faster-rcnn.pytorch's ResNet: each stage's stride on the first block's 1x1 conv1, max pooling unpadded, ceil."""
    net.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=0, ceil_mode=True)
    for layer in (net.layer2, net.layer3, net.layer4):
        first = layer[0]
        first.conv1.stride, first.conv2.stride = first.conv2.stride, first.conv1.stride
    return net


def legacy_anchors() -> torch.Tensor:
    """[A, 4] anchors of a 16 px cell at the origin, as py-faster-rcnn's generate_anchors: ratio-major, scale-minor
    (torchvision's order too), widths and heights rounded half to even, centred on pixel 7.5."""
    rows = []
    for ratio in ANCHOR_RATIOS:
        w = round(math.sqrt(STRIDE * STRIDE / ratio))
        h = round(w * ratio)
        for scale in ANCHOR_SCALES:
            ws, hs = w * scale, h * scale
            c = (STRIDE - 1) / 2
            rows.append([c - (ws - 1) / 2, c - (hs - 1) / 2, c + (ws - 1) / 2, c + (hs - 1) / 2])
    return torch.tensor(rows, dtype=torch.float32)


class LegacyAnchorGenerator(AnchorGenerator):
    """torchvision's generator with py-faster-rcnn's cell anchors and a fixed stride (torchvision derives the stride
    as image size // map size: 15 for a 600 px image's 38-cell map, where the network's stride is 16)."""

    def __init__(self):
        super().__init__(sizes=(tuple(STRIDE * s for s in ANCHOR_SCALES),), aspect_ratios=(ANCHOR_RATIOS,))
        self.cell_anchors = [legacy_anchors()]

    def forward(self, image_list, feature_maps):
        grid_sizes = [list(fm.shape[-2:]) for fm in feature_maps]
        dtype, device = feature_maps[0].dtype, feature_maps[0].device
        stride = torch.tensor(STRIDE, dtype=torch.int64, device=device)
        self.set_cell_anchors(dtype, device)
        anchors = torch.cat(self.grid_anchors(grid_sizes, [[stride, stride] for _ in grid_sizes]))
        return [anchors for _ in image_list.image_sizes]


class LegacyBoxCoder(BoxCoder):
    """py-faster-rcnn's decoding: a box's width is x2 - x1 + 1 (pixels counted inclusively)."""

    def decode_single(self, rel_codes, boxes):
        return super().decode_single(rel_codes, boxes + boxes.new_tensor([0, 0, 1, 1]))


class C4Head(nn.Module):
    """The box head: layer4 on each 7x7 RoI, then the spatial mean (faster-rcnn.pytorch's _head_to_tail)."""

    def __init__(self, layer4: nn.Module):
        super().__init__()
        self.layer4 = layer4

    def forward(self, x):
        return self.layer4(x).mean((2, 3))


class C4Features(nn.Module):
    """The stride-16 map for the heads, and layer4 over it (stride 32, the box head's weights) for memeops."""

    def __init__(self, base: nn.Module, head: C4Head):
        super().__init__()
        self.base = base
        self.head = head

    def forward(self, x):
        base = self.base(x)
        return OrderedDict([("0", base)]), self.head.layer4(base)


def _rpn_head(in_channels: int, channels: int, anchors: int) -> RPNHead:
    head = RPNHead(in_channels, anchors)
    head.conv = nn.Sequential(Conv2dNormActivation(in_channels, channels, kernel_size=3, norm_layer=None))
    head.cls_logits = nn.Conv2d(channels, anchors, kernel_size=1)
    head.bbox_pred = nn.Conv2d(channels, anchors * 4, kernel_size=1)
    return head


def _assemble(net: ResNet, classes: int, rpn_channels: int, size: int) -> Detector:
    net = caffe_layout(net)
    base = nn.Sequential(OrderedDict((n, getattr(net, n)) for n in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3")))
    base.out_channels = net.layer3[-1].conv3.out_channels
    head = C4Head(net.layer4)
    anchors = LegacyAnchorGenerator()
    rcnn = FasterRCNN(
        base,
        image_mean=[m / 255 for m in reversed(PIXEL_MEANS_BGR)],
        image_std=[1 / 255] * 3,
        rpn_anchor_generator=anchors,
        rpn_head=_rpn_head(base.out_channels, rpn_channels, anchors.num_anchors_per_location()[0]),
        rpn_pre_nms_top_n_test=6000,
        rpn_post_nms_top_n_test=300,
        rpn_nms_thresh=0.7,
        box_roi_pool=MultiScaleRoIAlign(["0"], output_size=7, sampling_ratio=0),
        box_head=head,
        box_predictor=FastRCNNPredictor(net.layer4[-1].conv3.out_channels, classes),
        box_nms_thresh=0.3,
    )
    rcnn.rpn.box_coder = LegacyBoxCoder((1.0, 1.0, 1.0, 1.0))
    rcnn.roi_heads.box_coder = LegacyBoxCoder((10.0, 10.0, 5.0, 5.0))
    return Detector(rcnn.eval(), C4Features(base, head), size)


PREFIXES = {
    "RCNN_base.0.": "backbone.conv1.",
    "RCNN_base.1.": "backbone.bn1.",
    "RCNN_base.4.": "backbone.layer1.",
    "RCNN_base.5.": "backbone.layer2.",
    "RCNN_base.6.": "backbone.layer3.",
    "RCNN_top.0.": "roi_heads.box_head.layer4.",
    "RCNN_rpn.RPN_Conv.": "rpn.head.conv.0.0.",
    "RCNN_rpn.RPN_cls_score.": "rpn.head.cls_logits.",
    "RCNN_rpn.RPN_bbox_pred.": "rpn.head.bbox_pred.",
    "RCNN_cls_score.": "roi_heads.box_predictor.cls_score.",
    "RCNN_bbox_pred.": "roi_heads.box_predictor.bbox_pred.",
}


def from_published(state: dict, classes: int) -> dict:
    """faster-rcnn.pytorch's state dict -> the FasterRCNN's (module docstring). Unknown names are an error."""
    out = {}
    for name, value in state.items():
        name = name.removeprefix("module.")
        prefix = next((p for p in PREFIXES if name.startswith(p)), None)
        if prefix is None:
            raise ValueError(f"{FILE}: unexpected tensor {name} (not a faster-rcnn.pytorch ResNet-101 detector?)")
        target = PREFIXES[prefix] + name[len(prefix):]
        if target == "backbone.conv1.weight":
            value = value.flip(1)
        elif target.startswith("rpn.head.cls_logits."):
            anchors = value.shape[0] // 2
            value = value[anchors:] - value[:anchors]
        elif target.startswith("roi_heads.box_predictor.bbox_pred.") and value.shape[0] == 4:
            value = value.repeat(classes, *[1] * (value.dim() - 1))
        out[target] = value
    return out


def _real(weights: str | None) -> tuple[Detector, Source]:
    if weights is None:
        raise MissingSource(
            f"fasterrcnn_vg needs {FILE} (Google Drive id {DRIVE_ID}, published by {REPOSITORY}), which no registry "
            f"serves: download it and pass --weights PATH (memeops models export fasterrcnn_vg --weights PATH --out DIR)"
        )
    checkpoint = torch.load(weights, map_location="cpu", weights_only=True)
    state = checkpoint.get("model", checkpoint)
    classes = state.get("RCNN_cls_score.weight", state.get("module.RCNN_cls_score.weight"))
    if classes is None:
        raise ValueError(f"{weights}: no RCNN_cls_score.weight: not a faster-rcnn.pytorch checkpoint")
    detector = _assemble(torchvision.models.resnet101(), classes.shape[0], RPN_CHANNELS, SIZE)
    missing, unexpected = detector.rcnn.load_state_dict(from_published(state, classes.shape[0]), strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"{weights}: tensors missing {missing[:5]}, unexpected {unexpected[:5]}")
    source = Source(
        uri=f"https://drive.google.com/file/d/{DRIVE_ID}",
        sha256=sha256_file(weights),
        description=f"{FILE}: Faster R-CNN ResNet-101 on Visual Genome ({classes.shape[0]} classes), {REPOSITORY}",
    )
    return detector, source


def build(seed: int | None, reduced: bool, weights: str | None = None) -> Built:
    if seed is None:
        if reduced:
            raise ValueError("fasterrcnn_vg: the reduced variant exists only with seeded random weights")
        detector, source = _real(weights)
    else:
        torch.manual_seed(seed)
        if reduced:
            detector = _assemble(reduced_resnet(seed), REDUCED["classes"], REDUCED["rpnChannels"], REDUCED["size"])
        else:
            detector = _assemble(torchvision.models.resnet101(), CLASSES, RPN_CHANNELS, SIZE)
        randomise_detector(detector, torch.Generator().manual_seed(seed))
        source = None
    details = {
        "architecture": "Faster R-CNN ResNet-101 C4 (faster-rcnn.pytorch's, Visual Genome) from torchvision parts; "
        "features: layer4 over the whole image" + (f", reduced {REDUCED}" if reduced else ""),
        "reduced": REDUCED if reduced else None,
        "seed": seed,
        "classes": detector.rcnn.roi_heads.box_predictor.cls_score.out_features,
        "sourceRepository": REPOSITORY,
    }
    return built_detector(detector, source, details)


ENTRY = Entry(
    name="fasterrcnn_vg",
    file_name="faster_rcnn_res101_vg.onnx",
    build=build,
    needs=[f"{FILE} (Google Drive id {DRIVE_ID}, {REPOSITORY}), given with --weights PATH"],
    takes_weights_file=True,
)
