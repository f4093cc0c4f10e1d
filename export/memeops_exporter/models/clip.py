"""clip: the CLIP ViT-B/32 vision tower (Hugging Face CLIPVisionModel), last_hidden_state [N, 50, 768] for a 224
input: the CLS token and the 7x7 patch tokens, before the pooler's layer norm.

Weights: openai/clip-vit-base-patch32 from the Hugging Face hub (or a local copy of that repository named by
MEMEOPS_CLIP_SOURCE). Reference preprocessing: the image squashed to 224x224 with PIL bicubic (torchvision's Resize
on a PIL image), CLIP mean/std; CLIP's own processor resizes the short side and center-crops, which memeops does
not do, so that every patch is a patch of the whole meme."""

import os

import torch
from torchvision import transforms

from ..manifest import Source, sha256_file
from . import Built, Entry, MissingSource

SIZE = 224
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
REPOSITORY = "openai/clip-vit-base-patch32"
# The reduced test variant: ViT-B/32's patching and token layout, 2 layers of width 32.
REDUCED = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}


class Tokens(torch.nn.Module):
    def __init__(self, vision):
        super().__init__()
        self.vision = vision

    def forward(self, pixel_values):
        return self.vision(pixel_values=pixel_values).last_hidden_state


def _weights_file(where: str) -> str:
    """The weights file from_pretrained read: in the local copy, or in the hub cache."""
    from huggingface_hub import try_to_load_from_cache

    for name in ("model.safetensors", "pytorch_model.bin"):
        local = os.path.join(where, name)
        if os.path.isfile(local):
            return local
        cached = try_to_load_from_cache(where, name)
        if isinstance(cached, str):
            return cached
    raise MissingSource(f"clip: found no model.safetensors or pytorch_model.bin for {where} to record in the manifest")


def build(seed: int | None, reduced: bool, weights: str | None = None) -> Built:
    from transformers import CLIPVisionConfig, CLIPVisionModel

    if seed is None:
        if reduced:
            raise ValueError("clip: the reduced variant exists only with seeded random weights")
        where = os.environ.get("MEMEOPS_CLIP_SOURCE", REPOSITORY)
        try:
            vision = CLIPVisionModel.from_pretrained(where, attn_implementation="eager")
        except OSError as e:
            raise MissingSource(
                f"clip needs {REPOSITORY} (config.json and model.safetensors) from the Hugging Face hub, which is not "
                f"reachable here ({type(e).__name__}); copy that repository to a directory and set MEMEOPS_CLIP_SOURCE to it"
            ) from e
        uri = f"hf://{REPOSITORY}" if where == REPOSITORY else f"file://{os.path.abspath(where)} (a copy of hf://{REPOSITORY})"
        source = Source(uri=uri, sha256=sha256_file(_weights_file(where)), description="CLIP ViT-B/32 (OpenAI)")
    else:
        torch.manual_seed(seed)
        config = CLIPVisionConfig(image_size=SIZE, patch_size=32, **(REDUCED if reduced else {}))
        vision = CLIPVisionModel(config)
        source = None
    vision.eval()
    hidden = vision.config.hidden_size
    resize = transforms.Resize((SIZE, SIZE), interpolation=transforms.InterpolationMode.BICUBIC)
    to_tensor = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    details = {
        "architecture": "transformers CLIPVisionModel, ViT-B/32 patching" + (f", reduced {REDUCED}" if reduced else ""),
        "reduced": REDUCED if reduced else None,
        "seed": seed,
        "input": {"name": "pixel_values", "shape": ["N", 3, SIZE, SIZE]},
        "output": {"name": "last_hidden_state", "shape": ["N", 50, hidden]},
        "preprocessing": "RGB squashed to 224x224 with PIL bicubic, then CLIP mean/std",
    }
    return Built(Tokens(vision).eval(), "pixel_values", ("last_hidden_state",), (3, SIZE, SIZE), source, details, resize, to_tensor)


ENTRY = Entry(name="clip", file_name="clip_vit_b32_vision.onnx", build=build, needs=[f"hf://{REPOSITORY}"])
