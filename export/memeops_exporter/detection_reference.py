"""A detector's reference: the PyTorch module's own outputs on image files (letterboxed as the trainer does), and then
what memeops' detector extractor (trainer-image/src/features/detection/detector.ts) must make of them, done here with
torchvision's ops: boxes clipped to the image inside the square, score threshold, class-agnostic torchvision.ops.nms,
the best R kept, the rest of the R rows the whole image; each row's feature the mean of torchvision.ops.roi_align
(7x7, sampling ratio 2, aligned) over the `features` map; boxes normalised by the image.

Written as <file>.reference.json (index, offsets in float32 elements) + <file>.reference.f32 (little-endian)."""

import hashlib
import json
from pathlib import Path

import torch
from torchvision.ops import nms, roi_align

from .models.detection import SELECTION, letterbox_size
from .reference import file_mode_and_size, image_files, load_rgb, write_files

ROI_ALIGN = {"outputSize": 7, "samplingRatio": 2, "aligned": True}


def select(boxes: torch.Tensor, scores: torch.Tensor, content: tuple[int, int], selection: dict) -> tuple[list[int], torch.Tensor]:
    """The kept detections (indices into the module's K, best first) and the R region boxes in input pixels."""
    cw, ch = content
    clipped = torch.stack([boxes[:, 0].clamp(0, cw), boxes[:, 1].clamp(0, ch), boxes[:, 2].clamp(0, cw), boxes[:, 3].clamp(0, ch)], 1)
    candidate = (scores > 0) & (scores >= selection["scoreThreshold"]) & (clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])
    index = torch.where(candidate)[0]
    kept = index[nms(clipped[index], scores[index], selection["nmsThreshold"])][: selection["regions"]].tolist()
    whole = torch.tensor([[0, 0, cw, ch]], dtype=torch.float32)
    rows = torch.cat([clipped[kept], whole.expand(selection["regions"] - len(kept), 4)])
    return kept, rows


def region_features(feature_map: torch.Tensor, rows: torch.Tensor, size: int) -> torch.Tensor:
    """[R, C]: the mean of RoIAlign over each row's box. feature_map [1, C, h, w] of a square input of `size` px."""
    pooled = roi_align(
        feature_map,
        [rows],
        output_size=ROI_ALIGN["outputSize"],
        spatial_scale=feature_map.shape[-1] / size,
        sampling_ratio=ROI_ALIGN["samplingRatio"],
        aligned=ROI_ALIGN["aligned"],
    )
    return pooled.mean(dim=(2, 3))


def normalised_boxes(rows: torch.Tensor, content: tuple[int, int]) -> torch.Tensor:
    """[R, 5]: x1/W, y1/H, x2/W, y2/H, area, computed in double as the extractor does."""
    cw, ch = content
    r = rows.double() / torch.tensor([cw, ch, cw, ch], dtype=torch.float64)
    return torch.cat([r, ((r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1]))[:, None]], 1).float()


def write_detection_reference(built, images_dir: Path, onnx_path: Path) -> Path:
    size = built.input_shape[-1]
    index, chunks, offset = [], [], 0

    def put(t: torch.Tensor) -> int:
        nonlocal offset
        at = offset
        chunks.append(t.detach().float().contiguous().numpy().astype("<f4").tobytes())
        offset += t.numel()
        return at

    with torch.no_grad():
        for path in image_files(images_dir):
            mode, width, height = file_mode_and_size(path)
            resized = built.resize(load_rgb(path))
            content = letterbox_size(width, height, size)
            boxes, scores, labels, feature_map = built.module(built.to_tensor(resized)[None])
            kept, rows = select(boxes[0], scores[0], content, SELECTION)
            index.append({
                "file": path.name, "mode": mode, "width": width, "height": height,
                # sha256 of the letterboxed RGB bytes (HWC): the trainer's letterbox must give the same bytes
                "resizedSha256": hashlib.sha256(resized.tobytes()).hexdigest(),
                "contentWidth": content[0], "contentHeight": content[1],
                "detections": int(boxes.shape[1]),
                "boxes": put(boxes[0]), "scores": put(scores[0]), "labels": put(labels[0]),
                "features": put(feature_map[0]), "featureShape": list(feature_map.shape[1:]),
                "kept": kept, "realRegions": len(kept),
                "regionFeatures": put(region_features(feature_map, rows, size)),
                "regionBoxes": put(normalised_boxes(rows, content)),
            })
    document = {"outputs": list(built.output_names), "size": size, "selection": SELECTION, "roiAlign": ROI_ALIGN, "images": index}
    return write_files(onnx_path, chunks, document)


def write_roi_align_cases(out: Path) -> Path:
    """torchvision.ops.roi_align means on a small seeded map for boxes that reach every branch of its bilinear
    sampling (inside, across the border, wholly outside, tiny, one pixel wide, the whole map), for roi-align.ts's own
    test. JSON: the map [C, H, W] and, per box (in map pixels, spatial scale 1), the [C] means."""
    generator = torch.Generator().manual_seed(7)
    feature_map = torch.randn(1, 3, 5, 7, generator=generator)
    boxes = torch.tensor([
        [0, 0, 7, 5], [1.25, 0.5, 4.75, 3.5], [-2, -1.5, 3, 2], [5.5, 3.2, 9, 7], [-4, -4, -1.8, -1.6], [7.6, 5.7, 9, 8],
        [2.3, 2.1, 2.35, 2.12], [3, 1, 4, 2], [0.5, 0.5, 0.5, 4.5], [6.4, 0, 7, 5], [0, 4.6, 7, 5], [-0.9, -0.9, 7.9, 5.9],
    ], dtype=torch.float32)
    means = roi_align(feature_map, [boxes], output_size=ROI_ALIGN["outputSize"], spatial_scale=1.0,
                      sampling_ratio=ROI_ALIGN["samplingRatio"], aligned=ROI_ALIGN["aligned"]).mean(dim=(2, 3))
    document = {
        "roiAlign": ROI_ALIGN,
        "map": {"shape": list(feature_map.shape[1:]), "values": feature_map.flatten().tolist()},
        "cases": [{"box": b.tolist(), "means": m.tolist()} for b, m in zip(boxes, means)],
    }
    out.write_text(json.dumps(document) + "\n")
    return out
