"""What the two Faster R-CNN entries share: the ONNX graph memeops' detector extractor takes
(trainer-image/src/features/detection/detector.ts), its letterbox preprocessing, and seeded random heads that still
detect something.

The graph: `images` [1, 3, S, S] letterboxed RGB in [0, 1] -> `boxes` [1, K, 4] (x1, y1, x2, y2 in input pixels),
`scores` [1, K], `labels` [1, K], `features` [1, C, h, w] (a backbone map the extractor pools per box with RoIAlign).
The batch is fixed at 1: torchvision's detection heads loop over the images of a batch in Python, and the legacy
(TorchScript) exporter, the only one that exports them, unrolls that loop at the traced batch size."""

import math
from typing import Callable

import torch
from PIL import Image
from torchvision import transforms
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.image_list import ImageList

from . import Built
from .calibration import calibrate_on, damp_residual_branches, randomise_affine

OUTPUTS = ("boxes", "scores", "labels", "features")
# What the reference applies after the module: memeops' selection (detector.ts) with the extractors' default
# thresholds; 10 regions, fewer than most test images' candidates, so the top-R cut is exercised.
SELECTION = {"regions": 10, "scoreThreshold": 0.2, "nmsThreshold": 0.3}


class Detector(torch.nn.Module):
    """A torchvision FasterRCNN run on an already letterboxed square: normalisation inside the graph, no resizing
    (GeneralizedRCNNTransform would resize to min_size and map the boxes back: a no-op at scale 1, left out), the
    backbone once for both the detection heads and the `features` map."""

    def __init__(self, rcnn: FasterRCNN, features: torch.nn.Module, size: int):
        super().__init__()
        self.rcnn = rcnn
        # x -> (the maps the RPN and RoI heads take, by name; the [1, C, h, w] map memeops pools)
        self.features = features
        self.size = size

    def forward(self, images: torch.Tensor):
        x = self.rcnn.transform.normalize(images)
        pyramid, feature_map = self.features(x)
        sizes = [(self.size, self.size)] * images.shape[0]
        proposals, _ = self.rcnn.rpn(ImageList(x, sizes), pyramid)
        detections, _ = self.rcnn.roi_heads(pyramid, proposals, sizes)
        found = detections[0]
        return found["boxes"][None], found["scores"][None], found["labels"][None], feature_map


def letterbox_size(width: int, height: int, size: int) -> tuple[int, int]:
    """The content size inside the square, as resize.ts's resizeLetterbox computes it (JS Math.round: half up)."""
    scale = size / max(width, height)
    fit = lambda v: max(1, min(size, math.floor(v * scale + 0.5)))  # noqa: E731
    return fit(width), fit(height)


def letterbox(size: int) -> Callable[[Image.Image], Image.Image]:
    """Aspect kept, longest side = size, PIL bilinear, content top-left, black padding right and bottom."""

    def resize(img: Image.Image) -> Image.Image:
        content = img.resize(letterbox_size(img.width, img.height, size), Image.Resampling.BILINEAR)
        square = Image.new("RGB", (size, size))
        square.paste(content, (0, 0))
        return square

    return resize


def calibration_images(size: int, generator: torch.Generator) -> torch.Tensor:
    """RGB images in [0, 1] that the seeded networks are calibrated on: smooth ones like photographs, and blocky
    black-and-white ones with the hard edges of a meme's caption bands and letters."""
    smooth = torch.nn.functional.interpolate(torch.randn(4, 3, 8, 8, generator=generator), size=size, mode="bilinear")
    blocks = (torch.rand(4, 1, 24, 24, generator=generator) > 0.5).float().expand(4, 3, 24, 24)
    return torch.cat([(0.5 + 0.25 * smooth).clamp(0, 1), torch.nn.functional.interpolate(blocks, size=size, mode="nearest")])


def _scale_output(layer: torch.nn.Module, run: Callable[[], object], target_std: float) -> None:
    """Rescale a layer's weight and bias so that its output's standard deviation on the calibration run is target_std."""
    seen = []
    hook = layer.register_forward_hook(lambda _m, _i, out: seen.append(out.detach()))
    try:
        run()
    finally:
        hook.remove()
    std = torch.cat([s.flatten() for s in seen]).std().item()
    with torch.no_grad():
        layer.weight.mul_(target_std / std)
        if layer.bias is not None:
            layer.bias.mul_(target_std / std)


def randomise_detector(detector: Detector, generator: torch.Generator) -> None:
    """Seeded random weights that behave like a trained detector's in kind: BatchNorm statistics calibrated so every
    layer sees unit-scale activations; objectness logits spread widely (default init gives every anchor the same score,
    and ties make the kept set an accident of sort order); class logits peaked enough that some boxes score well
    above memeops' 0.2; box regressions small, so boxes stay near their anchors and proposals."""
    rcnn = detector.rcnn
    size = detector.size
    with torch.no_grad():
        for m in rcnn.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                torch.nn.init.normal_(m.weight, std=1.0 / math.sqrt(m.weight[0].numel()), generator=generator)
                if m.bias is not None:
                    torch.nn.init.normal_(m.bias, std=0.1, generator=generator)
    randomise_affine(rcnn, generator)
    damp_residual_branches(rcnn)
    images = calibration_images(size, generator)
    run = lambda: detector(images)  # noqa: E731
    calibrate_on(rcnn, run)
    with torch.no_grad():
        _scale_output(rcnn.rpn.head.cls_logits, run, 3.0)
        _scale_output(rcnn.rpn.head.bbox_pred, run, 0.1)
        _scale_output(rcnn.roi_heads.box_predictor.cls_score, run, 2.0)
        _scale_output(rcnn.roi_heads.box_predictor.bbox_pred, run, 1.0)
    detector.eval()


def built_detector(detector: Detector, source, details: dict) -> Built:
    from ..detection_reference import write_detection_reference

    size = detector.size
    with torch.no_grad():
        _, feature_map = detector.eval().features(torch.zeros(1, 3, size, size))
    details = {
        **details,
        "input": {"name": "images", "shape": [1, 3, size, size]},
        "output": {
            "boxes": [1, "K", 4],
            "scores": [1, "K"],
            "labels": [1, "K"],
            "features": list(feature_map.shape),
        },
        "preprocessing": f"RGB letterboxed to {size}x{size} (longest side {size}, PIL bilinear, content top-left, "
        "black padding), [0, 1]; normalised inside the graph",
    }
    return Built(
        detector.eval(),
        "images",
        OUTPUTS,
        (3, size, size),
        source,
        details,
        letterbox(size),
        transforms.ToTensor(),
        batch=1,
        legacy_exporter=True,
        write_reference=write_detection_reference,
    )
