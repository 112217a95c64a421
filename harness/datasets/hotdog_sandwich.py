"""Food photos of sammyhaq/hotdog-sandwich, or offline: synthetic "sandwich" and "food" pictures.

Original: the JPEGs in the upstream repository's ``img/food`` (1,000 photos of other foods,
76 MB) and ``img/sandwich`` (1,000 sandwiches, 22 MB), ImageNet/Kaggle pictures of varied
sizes; ``img/hotdog`` (692) is only used for inference and not offered here. Cache folder:
``hotdog-sandwich/<category>/`` holding that category's ``*.jpg`` files (any names; read in
sorted order). They are decoded with Pillow to RGB and shrunk so that the longer side is at
most 256 pixels (the programs resize to 64x64 or 128x128 anyway).

Stand-in: up to 1,000 128x128 RGB pictures per category (the original's count), drawn with a
fixed seed per category (the first n are the same for every n), with the class-dependent
structure the programs must learn and no orientation cue (the programs rotate every picture
by a random angle):

- ``sandwich``: a stack of horizontal bands, bread-coloured slices around thinner fillings
  (lettuce green, tomato red, ham pink, cheese yellow), with wavy edges, on a plain noisy
  background;
- ``food``: one to five round or oval blobs of food colours on the same kind of background.

Both get per-picture brightness changes and pixel noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.datasets import Dataset, cached_dir, record

NAME = "hotdog_sandwich"
FOLDER = "hotdog-sandwich"
CATEGORIES = ("food", "sandwich")
MAX_SIDE = 256
SIDE = 128
STAND_IN_COUNT = 1000  # per category, as in the original folders

_BREAD = ((214, 170, 110), (190, 140, 80), (230, 200, 150))
_FILLINGS = ((80, 160, 60), (200, 40, 40), (235, 150, 150), (240, 200, 60), (120, 70, 50))
_FOODS = ((200, 40, 40), (240, 200, 60), (80, 160, 60), (120, 70, 50), (235, 150, 150),
          (250, 240, 220), (160, 90, 160))


_GRID = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64)

DATASET = Dataset(
    name=NAME,
    original="img/food and img/sandwich JPEGs of sammyhaq/hotdog-sandwich, 1000 each",
    cache=tuple(f"{FOLDER}/{category}/" for category in CATEGORIES),
    stand_in="synthetic 128x128 band stacks (sandwich) / blobs (food), 1000 per category",
    manual=(
        "the img/food and img/sandwich folders of https://github.com/sammyhaq/hotdog-sandwich: "
        f"copy their *.jpg files into {FOLDER}/food/ and {FOLDER}/sandwich/ in the cache "
        f"folder (sha256 not known here)."
    ),
)


def _background(rng: np.random.RandomState) -> np.ndarray:
    colour = rng.uniform(40, 220, size=3)
    return np.empty((SIDE, SIDE, 3)) + colour


def _sandwich(rng: np.random.RandomState) -> np.ndarray:
    img = _background(rng)
    yy, xx = _GRID
    left, right = sorted(rng.randint(5, SIDE - 5, size=2))
    right = max(right, left + SIDE // 3)
    top = rng.uniform(15, 45)
    bread = np.array(_BREAD[rng.randint(len(_BREAD))], dtype=np.float64)
    layers = [(bread, rng.uniform(10, 18))]
    for _ in range(rng.randint(1, 4)):
        layers.append((np.array(_FILLINGS[rng.randint(len(_FILLINGS))], float), rng.uniform(4, 9)))
    layers.append((bread, rng.uniform(10, 18)))
    phase, freq, amp = rng.uniform(0, 2 * np.pi), rng.uniform(0.05, 0.2), rng.uniform(0.5, 2.5)
    wave = amp * np.sin(freq * xx + phase)
    inside = (xx >= left) & (xx < right)
    y = top
    for colour, height in layers:
        band = inside & (yy >= y + wave) & (yy < y + height + wave)
        img[band] = colour
        y += height
    return img


def _food(rng: np.random.RandomState) -> np.ndarray:
    img = _background(rng)
    yy, xx = _GRID
    for _ in range(rng.randint(1, 6)):
        cy, cx = rng.uniform(20, SIDE - 20, size=2)
        ry, rx = rng.uniform(8, 35), rng.uniform(8, 35)
        blob = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
        img[blob] = np.array(_FOODS[rng.randint(len(_FOODS))], dtype=np.float64)
    return img


def _stand_in(category: str, count: int) -> list[np.ndarray]:
    rng = np.random.RandomState({"food": 101, "sandwich": 202}[category])
    draw = _sandwich if category == "sandwich" else _food
    images = []
    for _ in range(count):
        img = draw(rng) * rng.uniform(0.7, 1.2) + rng.normal(0.0, 12.0, size=(SIDE, SIDE, 3))
        images.append(np.clip(np.round(img), 0, 255).astype(np.uint8))
    return images


def _read(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        img = img.convert("RGB")
        img.thumbnail((MAX_SIDE, MAX_SIDE))
        return np.asarray(img, dtype=np.uint8)


def load_images(category: str, limit: int | None = None) -> list[np.ndarray]:
    """The pictures of one category as RGB ``uint8`` arrays ``(height, width, 3)``.

    Args:
        category: ``food`` or ``sandwich``.
        limit: At most this many pictures (the first ones in sorted file order). The stand-in
            draws ``min(limit, 1000)``: 1000 is the original's count per category, and
            programs that want more augment copies themselves.
    """
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {CATEGORIES}, got {category!r}")
    folder = cached_dir(f"{FOLDER}/{category}")
    files = sorted(folder.glob("*.jpg")) if folder is not None else []
    if folder is not None and files:
        files = files[:limit] if limit else files
        record(NAME, "cache", f"hotdog-sandwich JPEGs, longer side <= {MAX_SIDE}", folder.parent)
        return [_read(path) for path in files]
    count = min(limit, STAND_IN_COUNT) if limit else STAND_IN_COUNT
    record(NAME, "stand_in", f"synthetic {SIDE}x{SIDE} band stacks (sandwich) / blobs (food)")
    return _stand_in(category, count)
