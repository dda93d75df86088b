"""What a phone camera, a flatbed scanner or a chat app does to a synthetic page (see ``samples``).

Tilt and perspective, the surface the paper lies on, a hand's shadow, focus blur,
sensor noise and JPEG compression: the faults that make OCR misread.
"""

from __future__ import annotations

import io
import math
import random

import numpy as np
from PIL import Image, ImageFilter


def surface(rng: random.Random) -> tuple[int, int, int]:
    """What the paper lies on: a desk, a table cloth."""
    return rng.choice(((92, 64, 42), (150, 120, 90), (60, 60, 66), (200, 200, 196), (110, 40, 30)))


def texture(rng: random.Random, image: Image.Image) -> Image.Image:
    """A surface's grain: coarse blotches, drawn at a quarter of the size and blown up."""
    small = (max(1, image.width // 4), max(1, image.height // 4))
    noise = np.random.default_rng(rng.getrandbits(32)).standard_normal((small[1], small[0]), np.float32) * 10 + 128
    grain = Image.fromarray(np.clip(noise, 0, 255).astype(np.uint8)).resize(image.size, Image.Resampling.BILINEAR)
    array = np.asarray(image, np.int16) + (np.asarray(grain, np.int16)[..., None] - 128)
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def _perspective_coefficients(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """PIL's 8 transform coefficients mapping output points ``dst`` back to input points ``src``."""
    matrix, vector = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        vector += [u, v]
    return np.linalg.solve(np.array(matrix, dtype=float), np.array(vector, dtype=float)).tolist()


def photo(
    rng: random.Random,
    page: Image.Image,
    *,
    surround: tuple[int, int, int] | None,
    margin: tuple[float, float] = (0.05, 0.15),
    width: tuple[int, int] | None = None,
    strength: float = 1.0,
) -> Image.Image:
    """The page as a phone camera (on a ``surround``) or a cheap flatbed scanner (``surround=None``) sees it.

    ``width`` is the range of the final picture's width: phone photos arrive
    downscaled to the upload limit, so a small receipt ends up with large print.
    """
    angle = rng.uniform(-4, 4) * strength if surround is not None or rng.random() < 0.7 else 0.0
    if surround is not None:
        margin_x, margin_y = (int(page.width * rng.uniform(*margin)), int(page.height * rng.uniform(*margin)))
        canvas = texture(rng, Image.new("RGB", (page.width + 2 * margin_x, page.height + 2 * margin_y), surround))
        canvas.paste(page, (margin_x, margin_y))
        scale = rng.uniform(*width) / canvas.width if width else rng.uniform(0.75, 1.1)
        # Turn, tilt and scale in one resampling: where each corner of the canvas lands in the photo.
        w, h = canvas.size
        out_w, out_h = int(w * scale), int(h * scale)
        turn, jitter = math.radians(angle), 0.02 * strength
        corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
        landed = []
        for x, y in corners:
            dx, dy = x - w / 2, y - h / 2
            landed.append(
                (
                    (w / 2 + dx * math.cos(turn) + dy * math.sin(turn) + rng.uniform(-jitter, jitter) * w) * scale,
                    (h / 2 - dx * math.sin(turn) + dy * math.cos(turn) + rng.uniform(-jitter, jitter) * h) * scale,
                )
            )
        coefficients = _perspective_coefficients(corners, landed)
        image = canvas.transform(
            (out_w, out_h), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR, fillcolor=surround
        )
        depth = rng.uniform(0.0, 0.45)
    else:
        image = page.rotate(angle, Image.Resampling.BILINEAR, expand=True, fillcolor="white") if angle else page
        scale = rng.uniform(*width) / image.width if width else rng.uniform(0.65, 1.1)
        image = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.BILINEAR)
        depth = rng.uniform(0.0, 0.2)
    image = _shadow(rng, image, depth=depth)
    blur = rng.choice((0.0, 0.0, rng.uniform(0.3, 1.6)))
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    sigma = rng.uniform(0, 9)
    if sigma > 2:
        image = _noisy(rng, image, sigma)
    image = _jpeg_roundtrip(image, rng.randrange(35, 91))
    if rng.random() < 0.25:  # forwarded through a chat app: shrunk and compressed once more
        long_side = rng.randrange(1000, 1281)
        if max(image.size) > long_side:
            shrink = long_side / max(image.size)
            image = image.resize((round(image.width * shrink), round(image.height * shrink)), Image.Resampling.BILINEAR)
            image = _jpeg_roundtrip(image, rng.randrange(50, 80))
    return image


def _noisy(rng: random.Random, image: Image.Image, sigma: float) -> Image.Image:
    """Sensor noise, the same in the three channels (it is brightness noise that upsets OCR)."""
    noise = np.random.default_rng(rng.getrandbits(32)).standard_normal((image.height, image.width, 1), np.float32)
    array = np.asarray(image, dtype=np.float32) + noise * sigma
    return Image.fromarray(np.clip(array, 0, 255, out=array).astype(np.uint8))


def screenshot(rng: random.Random, page: Image.Image) -> Image.Image:
    """A screenshot sent through a chat app: rescaled and recompressed, never tilted."""
    scale = rng.uniform(0.7, 1.0)
    image = page.resize((int(page.width * scale), int(page.height * scale)), Image.Resampling.LANCZOS)
    return _jpeg_roundtrip(image, rng.randrange(35, 91))


def _shadow(rng: random.Random, image: Image.Image, *, depth: float) -> Image.Image:
    """A soft darkening from one side, as a hand or the phone casts over the paper."""
    if depth < 0.03:
        return image
    w, h = image.size
    angle = rng.uniform(0, 2 * np.pi)
    xs = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    ys = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    ramp = (np.cos(angle) * xs + np.sin(angle) * ys + 1.4) / 2.8  # 0..1 across the picture
    gain = 1 - depth * np.clip(ramp - rng.uniform(0.2, 0.6), 0, 1) / 0.6
    array = np.asarray(image, dtype=np.float32) * np.clip(gain, 0, 1)[..., None]
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _jpeg_roundtrip(image: Image.Image, quality: int) -> Image.Image:
    decoded = Image.open(io.BytesIO(encode(image, "JPEG", quality=quality)))
    decoded.load()
    return decoded
