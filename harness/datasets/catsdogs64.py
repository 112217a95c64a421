"""ronnyworm/keras_catsdogs' 64x64 cats-and-dogs pictures, or offline: synthetic cat/dog faces.

Original: ``catsdogsdataset64.zip`` (3,680,393 bytes, in the upstream repository and in the
DeepLocalize benchmark): 64x64 RGB JPEGs in the folders ``catsdogsdataset64/dogs64`` (999),
``cats64`` (1000), ``dogs64_test`` (100) and ``cats64_test`` (100), plus ``__MACOSX`` and
``.DS_Store`` entries that are skipped. Cache file: ``catsdogsdataset64.zip``, read in place
(members in sorted order, decoded with Pillow).

Stand-in: the same four folders with the same counts, drawn with a fixed seed per folder:
64x64 colour pictures of a furry head on a cluttered, noisy background. Colour, size, position
and brightness come from the same distributions in both classes; only the shape differs:

- cats: a round head with two pointed triangular ears on top and dark stripes in the fur;
- dogs: a wider head with a lighter snout below it and two rounded ears hanging at its sides.
"""

from __future__ import annotations

import numpy as np

from harness.datasets import Dataset, cached, record

NAME = "catsdogs64"
FILE = "catsdogsdataset64.zip"
ROOT = "catsdogsdataset64"
FOLDERS = {"dogs64": 999, "cats64": 1000, "dogs64_test": 100, "cats64_test": 100}
SIDE = 64

_GRID = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64)
_FUR = ((200, 140, 80), (90, 60, 40), (230, 220, 200), (120, 120, 120), (40, 35, 30),
        (210, 170, 120), (160, 100, 50))

DATASET = Dataset(
    name=NAME,
    original="catsdogsdataset64.zip: 64x64 RGB cats and dogs, 1999 + 200 pictures",
    cache=(FILE,),
    stand_in="synthetic 64x64 cat faces (pointed ears, stripes) / dog faces",
    manual=(
        "catsdogsdataset64.zip from the upstream repository "
        "https://github.com/ronnyworm/keras_catsdogs (also in the DeepLocalize benchmark): put "
        "it in the cache folder as is (3,680,393 bytes; sha256 not known here)."
    ),
)


def _ellipse(cy: float, cx: float, ry: float, rx: float) -> np.ndarray:
    yy, xx = _GRID
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0


def _triangle(apex: tuple[float, float], left: tuple[float, float],
              right: tuple[float, float]) -> np.ndarray:
    yy, xx = _GRID

    def side(a, b):
        return (b[1] - a[1]) * (yy - a[0]) - (b[0] - a[0]) * (xx - a[1])

    s1, s2, s3 = side(apex, left), side(left, right), side(right, apex)
    return ((s1 >= 0) & (s2 >= 0) & (s3 >= 0)) | ((s1 <= 0) & (s2 <= 0) & (s3 <= 0))


def _picture(rng: np.random.RandomState, cat: bool) -> np.ndarray:
    yy, xx = _GRID
    # background: a colour gradient plus a few clutter blobs
    c0, c1 = rng.uniform(30, 230, size=(2, 3))
    t = (np.cos(rng.uniform(0, 2 * np.pi)) * xx + np.sin(rng.uniform(0, 2 * np.pi)) * yy) / SIDE
    img = c0 + (c1 - c0) * ((t - t.min()) / (t.max() - t.min() + 1e-9))[..., None]
    for _ in range(rng.randint(0, 4)):
        blob = _ellipse(*rng.uniform(0, SIDE, size=2), *rng.uniform(3, 10, size=2))
        img[blob] = rng.uniform(30, 230, size=3)
    fur = np.array(_FUR[rng.randint(len(_FUR))], dtype=np.float64) + rng.normal(0, 15, size=3)
    r = rng.uniform(11, 18)
    cy, cx = rng.uniform(r + 8, SIDE - r - 4), rng.uniform(r + 4, SIDE - r - 4)
    if cat:
        for sign in (-1, 1):
            base_x = cx + sign * r * 0.55
            apex = (cy - r * rng.uniform(1.3, 1.7), base_x + sign * r * 0.15)
            base = cy - r * 0.5
            ear = _triangle(apex, (base, base_x - r * 0.4), (base, base_x + r * 0.4))
            img[ear] = fur
        head = _ellipse(cy, cx, r, r * rng.uniform(0.95, 1.1))
        stripes = np.sin((xx - cx) * rng.uniform(0.6, 1.0) + rng.uniform(0, 6)) > 0.5
        img[head] = fur
        img[head & stripes] = fur * 0.55
    else:
        head = _ellipse(cy, cx, r * 0.9, r * rng.uniform(1.15, 1.3))
        img[head] = fur
        snout = _ellipse(cy + r * 0.55, cx, r * 0.4, r * 0.55)
        img[snout] = np.clip(fur * 1.3 + 30, 0, 255)
        for sign in (-1, 1):
            ear = _ellipse(cy + r * 0.2, cx + sign * r * 1.15, r * 0.75, r * 0.3)
            img[ear] = fur * 0.7
    eyes = _ellipse(cy - r * 0.15, cx - r * 0.35, 1.8, 1.8) | _ellipse(
        cy - r * 0.15, cx + r * 0.35, 1.8, 1.8
    )
    img[eyes] = 20.0
    img = img * rng.uniform(0.75, 1.2) + rng.normal(0, 18, size=img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def _stand_in(limit: int | None) -> dict[str, np.ndarray]:
    out = {}
    for i, (folder, count) in enumerate(FOLDERS.items()):
        rng = np.random.RandomState(1000 + i)
        cat = folder.startswith("cats")
        count = min(count, limit) if limit else count
        out[folder] = np.stack([_picture(rng, cat) for _ in range(count)])
    return out


def _from_zip(path, limit: int | None) -> dict[str, np.ndarray]:
    import io
    import zipfile

    from PIL import Image

    out: dict[str, list[np.ndarray]] = {folder: [] for folder in FOLDERS}
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            parts = name.split("/")
            if len(parts) != 3 or parts[0] != ROOT or parts[1] not in out:
                continue
            if not parts[2] or parts[2].startswith("."):
                continue
            if limit and len(out[parts[1]]) >= limit:
                continue
            with Image.open(io.BytesIO(archive.read(name))) as img:
                out[parts[1]].append(np.asarray(img.convert("RGB"), dtype=np.uint8))
    return {folder: np.stack(images) for folder, images in out.items()}


def load_folders(limit: int | None = None) -> dict[str, np.ndarray]:
    """The four picture folders, ``{"dogs64": (999, 64, 64, 3) uint8, "cats64": (1000, ...),
    "dogs64_test": (100, ...), "cats64_test": (100, ...)}``, each in file-name order.

    Args:
        limit: At most this many pictures per folder (the first ones); ``None``: all.
    """
    path = cached(FILE)
    if path is not None:
        data = _from_zip(path, limit)
        counts = ", ".join(f"{folder} {len(images)}" for folder, images in data.items())
        record(NAME, "cache", f"catsdogsdataset64.zip, 64x64 RGB: {counts}", path)
        return data
    record(NAME, "stand_in", "synthetic 64x64 cat faces (pointed ears, stripes) / dog faces")
    return _stand_in(limit)
