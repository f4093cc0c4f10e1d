"""blip: BLIP base image captioning (transformers BlipForConditionalGeneration, Salesforce/blip-image-captioning-base)
as the files the trainer's captioner loads, in DIR/blip_captioning_base/:

  vision_model.onnx             pixel_values [N, 3, 384, 384] -> image_embeds [N, 577, D]
  text_decoder_cross_kv.onnx    encoder_hidden_states [N, S, D] -> present.{i}.encoder.key/value [N, H, S, Dh]:
                                every decoder layer's cross-attention keys and values, computed once per image
  text_decoder.onnx             input_ids [N, T] (the T new tokens), past_key_values.{i}.decoder.key/value
                                [N, H, P, Dh] (self-attention cache, P = tokens before these; P = 0 at the start),
                                past_key_values.{i}.encoder.key/value (the cross K/V above) -> logits [N, T, V],
                                present.{i}.decoder.key/value [N, H, P + T, Dh]
  vocab.txt                     the WordPiece vocabulary (BERT's 30522 tokens; [DEC] = 30522 is BLIP's start token)

each with a manifest, and SHA256SUMS pinning the four together. The decoder is transformers' BlipTextLMHeadModel
layer by layer with its own modules (embeddings, query/key/value, output, intermediate, LM head), with the cache
passed as plain tensors instead of a Cache object; the reference (--reference-images) is transformers' own greedy
generate, which the TypeScript captioner must reproduce token for token.

Reference preprocessing: BlipImageProcessorPil (PIL bicubic to 384x384, CLIP mean/std), the PIL backend of
BlipImageProcessor, as the original BLIP resizes (torchvision's Resize on PIL images). transformers 5 picks the
torchvision backend by default, which resizes a uint8 tensor in float without clamping between the two passes:
on the test images its bytes differ from PIL's by 1 level on 0.06-16% of the values and by up to 15 at the edges of
meme text; the reference records the tokens it gives too."""

import hashlib
import json
import math
import os
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..manifest import Source, sha256_file, write_manifest
from ..onnx_export import export_graph
from ..reference import IMAGE_SUFFIXES, load_rgb
from . import Entry, MissingSource

REPOSITORY = "Salesforce/blip-image-captioning-base"
DIR_NAME = "blip_captioning_base"
FILES = {"vision": "vision_model.onnx", "cross": "text_decoder_cross_kv.onnx", "decoder": "text_decoder.onnx", "vocab": "vocab.txt"}
SIZE = 384
# BLIP base as the hub's config.json has it (BlipTextConfig's own defaults differ: 8 heads).
TEXT = {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12, "encoder_hidden_size": 768}
# The reduced test variant: ViT-B/16's patching at 384 (577 tokens) with 2 layers of width 32, a 2-layer decoder of
# width 16 over the full 30524-token vocabulary, so [DEC] = 30522 and [SEP] = 102 are what they are in BLIP.
VISION_REDUCED = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}
TEXT_REDUCED = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "encoder_hidden_size": 32}
BOS, SEP = 30522, 102
SEP_BIAS = 3.0
REFERENCE_MAX_NEW_TOKENS = 30  # spec.dataset.captions.maxTokens' default


def _heads(x: torch.Tensor, att) -> torch.Tensor:
    """[N, L, H * Dh] -> [N, H, L, Dh]."""
    return x.view(x.shape[0], x.shape[1], att.num_attention_heads, att.attention_head_size).transpose(1, 2)


def _attend(att, hidden: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """BlipTextSelfAttention's arithmetic, in its order, on given keys and values."""
    query = _heads(att.query(hidden), att)
    scores = torch.matmul(query, keys.transpose(-1, -2)) / math.sqrt(att.attention_head_size)
    if mask is not None:
        scores = scores + mask
    context = torch.matmul(torch.softmax(scores, dim=-1), values).permute(0, 2, 1, 3)
    return context.reshape(context.shape[0], context.shape[1], att.all_head_size)


class VisionEmbeds(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.vision = model.vision_model

    def forward(self, pixel_values):
        return self.vision(pixel_values=pixel_values)[0]


class CrossKeyValues(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.layers = model.text_decoder.bert.encoder.layer

    def forward(self, encoder_hidden_states):
        out = []
        for layer in self.layers:
            att = layer.crossattention.self
            out += [_heads(att.key(encoder_hidden_states), att), _heads(att.value(encoder_hidden_states), att)]
        return tuple(out)


class CachedDecoder(torch.nn.Module):
    """forward(input_ids, past k0, v0, k1, v1, ..., cross k0, v0, ...) -> (logits, present k0, v0, k1, v1, ...)."""

    def __init__(self, model):
        super().__init__()
        self.bert = model.text_decoder.bert
        self.cls = model.text_decoder.cls

    def forward(self, input_ids, *caches):
        layers = self.bert.encoder.layer
        past, cross = caches[: 2 * len(layers)], caches[2 * len(layers) :]
        before, new = past[0].shape[2], input_ids.shape[1]
        embeddings = self.bert.embeddings
        positions = torch.arange(new, device=input_ids.device) + before
        hidden = embeddings.word_embeddings(input_ids) + embeddings.position_embeddings(positions)[None]
        hidden = embeddings.LayerNorm(hidden)
        # causal: new token t (at before + t) sees every cached token and the new ones up to itself
        later = torch.arange(before + new, device=input_ids.device)[None, :] > positions[:, None]
        mask = later.to(hidden.dtype) * torch.finfo(hidden.dtype).min
        presents = []
        for i, layer in enumerate(layers):
            att = layer.attention.self
            keys = torch.cat([past[2 * i], _heads(att.key(hidden), att)], dim=2)
            values = torch.cat([past[2 * i + 1], _heads(att.value(hidden), att)], dim=2)
            presents += [keys, values]
            hidden = layer.attention.output(_attend(att, hidden, keys, values, mask), hidden)
            crossed = _attend(layer.crossattention.self, hidden, cross[2 * i], cross[2 * i + 1], None)
            hidden = layer.crossattention.output(crossed, hidden)
            hidden = layer.output(layer.intermediate(hidden), hidden)
        return (self.cls(hidden), *presents)


def _kv_names(prefix: str, kind: str, layers: int) -> list[str]:
    return [f"{prefix}.{i}.{kind}.{part}" for i in range(layers) for part in ("key", "value")]


def _export_graphs(model, out: Path) -> dict[str, float]:
    text = model.config.text_config
    layers, heads = text.num_hidden_layers, text.num_attention_heads
    head_size = text.hidden_size // heads
    tokens = (SIZE // model.config.vision_config.patch_size) ** 2 + 1
    seconds = {}
    seconds["vision"] = export_graph(
        VisionEmbeds(model).eval(), (torch.zeros(2, 3, SIZE, SIZE),), ["pixel_values"], ["image_embeds"],
        {"pixel_values": {0: "N"}, "image_embeds": {0: "N"}}, out / FILES["vision"],
    )
    cross_out = _kv_names("present", "encoder", layers)
    seconds["cross"] = export_graph(
        CrossKeyValues(model).eval(), (torch.randn(2, tokens, text.encoder_hidden_size),), ["encoder_hidden_states"], cross_out,
        {"encoder_hidden_states": {0: "N", 1: "S"}, **{n: {0: "N", 2: "S"} for n in cross_out}}, out / FILES["cross"],
    )
    # Example sizes of 2 and 3, not 0 or 1: the exporter would fix a dimension it only saw at 0 or 1.
    past_in, cross_in = _kv_names("past_key_values", "decoder", layers), _kv_names("past_key_values", "encoder", layers)
    present_out = _kv_names("present", "decoder", layers)
    example = (
        torch.tensor([[BOS, 1037], [BOS, 2158]]),
        *[torch.randn(2, heads, 3, head_size) for _ in past_in],
        *[torch.randn(2, heads, tokens, head_size) for _ in cross_in],
    )
    batch, new, before = torch.export.Dim("N"), torch.export.Dim("T", max=512), torch.export.Dim("P", min=0, max=512)
    encoder = torch.export.Dim("S")
    seconds["decoder"] = export_graph(
        CachedDecoder(model).eval(), example, ["input_ids", *past_in, *cross_in], ["logits", *present_out], None, out / FILES["decoder"],
        # forward(input_ids, *caches): torch.export sees two arguments, the second a tuple
        dynamic_shapes=({0: batch, 1: new}, (*[{0: batch, 2: before} for _ in past_in], *[{0: batch, 2: encoder} for _ in cross_in])),
    )
    return seconds


def _placeholder_vocab(path: Path) -> None:
    """Seeded random weights have no tokenizer: BERT's special tokens at their ids, a made-up word for every other id."""
    special = {0: "[PAD]", 100: "[UNK]", 101: "[CLS]", 102: "[SEP]", 103: "[MASK]"}
    path.write_text("".join(f"{special.get(i, f'w{i}')}\n" for i in range(30522)))


def _real():
    from transformers import BlipForConditionalGeneration

    where = os.environ.get("MEMEOPS_BLIP_SOURCE", REPOSITORY)
    try:
        from huggingface_hub import snapshot_download

        local = where if os.path.isdir(where) else snapshot_download(where, allow_patterns=["*.json", "*.safetensors", "vocab.txt"])
        model = BlipForConditionalGeneration.from_pretrained(local)
    except Exception as e:  # hub client errors come in many kinds; each means the files are not here
        raise MissingSource(
            f"blip needs {REPOSITORY} (config.json, model.safetensors, vocab.txt) from the Hugging Face hub, which is not "
            f"reachable here ({type(e).__name__}); copy that repository to a directory and set MEMEOPS_BLIP_SOURCE to it"
        ) from e
    weights = Path(local) / "model.safetensors"
    if not weights.is_file() or not (Path(local) / "vocab.txt").is_file():
        raise MissingSource(f"blip: {local} lacks model.safetensors or vocab.txt")
    uri = f"hf://{REPOSITORY}" if where == REPOSITORY else f"file://{os.path.abspath(where)} (a copy of hf://{REPOSITORY})"
    source = Source(uri=uri, sha256=sha256_file(weights), description="BLIP base captioning (Salesforce), COCO finetuned")
    return model, source, lambda path: shutil.copyfile(Path(local) / "vocab.txt", path)


def _randomise(model, generator: torch.Generator) -> None:
    """Every weight drawn with std 1/sqrt(fan-in), which keeps activations at unit scale. transformers' initialisers
    expect trained weights to be loaded over them (std 0.02, 1e-10 for the vision embeddings): with them the image
    barely reaches the decoder, every image gets the same caption, and the top two logits differ by 1e-4."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1:  # biases, norms: small offsets around the usual 0 and 1
                base = 1.0 if "norm" in name.lower() and name.endswith("weight") else 0.0
                p.copy_(base + 0.1 * torch.randn(p.shape, generator=generator))
            else:
                fan_in = p[0].numel() if p.dim() > 2 or "embed" not in name else p.shape[-1]
                p.copy_(torch.randn(p.shape, generator=generator) * fan_in**-0.5)
        # [SEP] made likely enough that captions end at different lengths, as a trained captioner's do
        model.text_decoder.cls.predictions.bias[SEP] = SEP_BIAS


def _seeded(seed: int, reduced: bool):
    from transformers import BlipConfig, BlipForConditionalGeneration

    text = TEXT_REDUCED if reduced else TEXT
    model = BlipForConditionalGeneration(BlipConfig(vision_config=VISION_REDUCED if reduced else {}, text_config=text))
    _randomise(model, torch.Generator().manual_seed(seed))
    return model, None, _placeholder_vocab


def export(out_root: Path, seed: int | None, reduced: bool, reference_images: Path | None) -> list[dict]:
    if seed is None and reduced:
        raise ValueError("blip: the reduced variant exists only with seeded random weights")
    start = time.perf_counter()
    model, source, write_vocab = _real() if seed is None else _seeded(seed, reduced)
    model.eval()
    out = out_root / DIR_NAME
    out.mkdir(parents=True, exist_ok=True)
    write_vocab(out / FILES["vocab"])
    build_seconds = time.perf_counter() - start
    seconds = _export_graphs(model, out)
    text, vision = model.config.text_config, model.config.vision_config
    common = {
        "architecture": "transformers BlipForConditionalGeneration" + (f", reduced vision {VISION_REDUCED}, text {TEXT_REDUCED}" if reduced else ""),
        "reduced": {"vision": VISION_REDUCED, "text": TEXT_REDUCED} if reduced else None,
        "seed": seed,
        "decoding": {"start": BOS, "end": SEP, "pad": 0, "layers": text.num_hidden_layers, "heads": text.num_attention_heads, "vocab": text.vocab_size},
        "preprocessing": "RGB squashed to 384x384 with PIL bicubic (BlipImageProcessorPil), then CLIP mean/std",
        "companions": sorted(FILES.values()),
    }
    shapes = {
        "vision": {"input": {"name": "pixel_values", "shape": ["N", 3, SIZE, SIZE]}, "output": {"name": "image_embeds", "shape": ["N", "S", vision.hidden_size]}},
        "cross": {"input": {"name": "encoder_hidden_states", "shape": ["N", "S", text.encoder_hidden_size]}, "output": {"name": "present.{i}.encoder.key/value", "shape": ["N", "H", "S", "Dh"]}},
        "decoder": {
            "input": {"name": "input_ids, past_key_values.{i}.decoder.key/value, past_key_values.{i}.encoder.key/value", "shape": ["N", "T"]},
            "output": {"name": "logits, present.{i}.decoder.key/value", "shape": ["N", "T", text.vocab_size]},
        },
        "vocab": {},
    }
    results = []
    for role, name in FILES.items():
        path = out / name
        details = {**common, **shapes[role], "exportSeconds": round(seconds.get(role, 0.0), 2)}
        manifest = write_manifest(path, ENTRY.name, source, seed is not None, details)
        results.append({"model": ENTRY.name, "file": str(path), "manifest": str(manifest), "bytes": path.stat().st_size, "exportSeconds": details["exportSeconds"]})
    (out / "SHA256SUMS").write_text("".join(f"{sha256_file(out / n)}  {n}\n" for n in sorted(FILES.values())))
    results[0]["buildSeconds"] = round(build_seconds, 2)
    if reference_images:
        results[0]["reference"] = str(write_reference(model, reference_images, out))
    return results


def _pixel_table(processor) -> np.ndarray:
    """[3, 256]: what the processor makes of each byte value in each channel (a 384x384 image is not resized)."""
    ramp = np.tile(np.arange(256, dtype=np.uint8), SIZE * SIZE // 256).reshape(SIZE, SIZE, 1).repeat(3, axis=2)
    pixels = processor(images=Image.fromarray(ramp, "RGB"), return_tensors="np")["pixel_values"][0]
    return np.stack([pixels[c].reshape(-1)[:256] for c in range(3)]).astype(np.float32)


def _generate(model, pixels: torch.Tensor) -> dict:
    out = model.generate(
        pixel_values=pixels, num_beams=1, do_sample=False, max_new_tokens=REFERENCE_MAX_NEW_TOKENS,
        output_scores=True, return_dict_in_generate=True,
    )
    generated = out.sequences[0, 1:].tolist()  # after [DEC]
    ended = SEP in generated
    tokens = generated[: generated.index(SEP)] if ended else generated
    # the arg-max's lead over the runner-up at each step: how far float rounding is from changing the caption
    margins = [float(s[0].topk(2).values[0] - s[0].topk(2).values[1]) for s in out.scores[: len(tokens) + int(ended)]]
    return {"tokens": tokens, "endedWithSep": ended, "minMargin": min(margins)}


def write_reference(model, images_dir: Path, out: Path) -> Path:
    """transformers' greedy generate on each image through BlipImageProcessorPil, one image at a time."""
    from transformers import BlipImageProcessor, BlipImageProcessorPil

    files = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"no .png/.jpg images in {images_dir}")
    processor, default_backend = BlipImageProcessorPil(), BlipImageProcessor()
    table = _pixel_table(processor)
    images = []
    with torch.no_grad():
        for path in files:
            with Image.open(path) as raw:
                mode, (width, height) = raw.mode, raw.size
            rgb = load_rgb(path)
            resized = np.asarray(rgb.resize((SIZE, SIZE), Image.Resampling.BICUBIC))
            pixels = processor(images=rgb, return_tensors="pt")["pixel_values"]
            expected = np.stack([table[c][resized[..., c]] for c in range(3)])
            if not np.array_equal(pixels[0].numpy(), expected):
                raise AssertionError(f"{path.name}: BlipImageProcessorPil is not PIL bicubic + the byte table")
            default_pixels = default_backend(images=rgb, return_tensors="pt")["pixel_values"]
            images.append({
                "file": path.name, "mode": mode, "width": width, "height": height,
                "resizedSha256": hashlib.sha256(resized.tobytes()).hexdigest(),
                **_generate(model, pixels),
                "torchvisionBackend": {
                    "maxPixelDifference": float((default_pixels - pixels).abs().max()),
                    "tokens": _generate(model, default_pixels)["tokens"],
                },
            })
    path = out / "reference.json"
    path.write_text(json.dumps({
        "generate": {"num_beams": 1, "do_sample": False, "max_new_tokens": REFERENCE_MAX_NEW_TOKENS},
        "processor": "BlipImageProcessorPil",
        "pixelTable": table.tolist(),
        "images": images,
    }, indent=1) + "\n")
    return path


ENTRY = Entry(
    name="blip", file_name=f"{DIR_NAME}/", build=None, export=export, needs=[f"hf://{REPOSITORY}"],
    files=tuple(f"{DIR_NAME}/{n}" for n in FILES.values()),
)
