"""Small deterministic test images for the equivalence fixtures: photo-like and meme-like (with text), 64 px to
2000 px, portrait and landscape, PNG and JPEG, RGB, grayscale and RGBA. Drawn with PIL from a fixed seed."""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def _photo(width: int, height: int, rng: np.random.Generator) -> Image.Image:
    """Sky gradient, a sun, hills and grainy texture: smooth areas and edges, like a photograph."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    sky = np.stack([90 + 100 * y / height, 140 + 80 * y / height, 230 - 40 * y / height], -1)
    hill = height * (0.6 + 0.08 * np.sin(x / width * 7.0 + 1.3))
    ground = np.stack([60 + 40 * np.sin(x / 9.0), 120 + 30 * np.cos(y / 7.0), 50 + 0 * x], -1)
    img = np.where((y > hill)[..., None], ground, sky)
    sun = (x - 0.72 * width) ** 2 + (y - 0.25 * height) ** 2 < (0.09 * min(width, height)) ** 2
    img[sun] = [255, 225, 120]
    img += rng.normal(0, 6, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def _meme(width: int, height: int, rng: np.random.Generator, top: str, bottom: str) -> Image.Image:
    """A photo with white caption bands and black text, the classic meme layout."""
    img = _photo(width, height, rng)
    draw = ImageDraw.Draw(img)
    band = max(8, height // 6)
    draw.rectangle([0, 0, width, band], fill=(255, 255, 255))
    draw.rectangle([0, height - band, width, height], fill=(255, 255, 255))
    font = ImageFont.load_default(size=max(8, band * 2 // 3))
    draw.text((width // 20, band // 6), top, fill=(0, 0, 0), font=font)
    draw.text((width // 20, height - band + band // 6), bottom, fill=(0, 0, 0), font=font)
    return img


def write_test_images(out: Path) -> list[Path]:
    rng = np.random.default_rng(20261207)
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def save(img: Image.Image, name: str, **options):
        path = out / name
        img.save(path, **options)
        written.append(path)

    save(_photo(640, 427, rng), "photo-landscape.jpg", quality=90)
    save(_meme(360, 640, rng, "WHEN THE TESTS", "PASS FIRST TIME"), "meme-portrait.png")
    save(_photo(64, 64, rng), "tiny-64.png")
    save(_meme(300, 200, rng, "GRAY DAYS", "GRAY MEMES").convert("L"), "meme-gray.png")
    save(_photo(240, 400, rng).convert("L"), "photo-gray-portrait.jpg", quality=85)
    sticker = _meme(256, 192, rng, "STICKER", "WITH ALPHA").convert("RGBA")
    alpha = np.fromfunction(lambda y, x: 255 * ((x + y) % 64 < 40), (192, 256)).astype(np.uint8)
    sticker.putalpha(Image.fromarray(alpha, "L"))
    save(sticker, "sticker-alpha.png")
    save(_meme(2000, 1333, rng, "TWO THOUSAND PIXELS", "OF PURE MEME"), "meme-2000.jpg", quality=60)
    return written
