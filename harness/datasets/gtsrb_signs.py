"""German Traffic Sign Recognition Benchmark (Udacity's 32×32 "train" part), or offline:
synthetic traffic signs.

Original: Udacity's ``traffic-signs-data.zip``; its ``train.p`` pickle holds ``features``
(34,799 × 32 × 32 × 3, ``uint8`` RGB) and ``labels`` (43 classes, 180 to 2,010 images each).
Cache file: ``traffic_signs/train.p``.

Stand-in: 34,799 images from a fixed generator, labels drawn with GTSRB-like class
frequencies (see :data:`CLASS_COUNTS`). Class ``c`` is a sign of shape ``c % 4`` (circle,
triangle, inverted triangle, diamond) with rim colour ``c % 3`` (red, blue, yellow) and, on
its light centre, a dark glyph of digit ``c % 10`` (a random scikit-learn ``load_digits``
image of that digit, upsampled to 16×16); the triple is unique for all 43 classes. Each image
varies position (±3 px), size (×0.75–1.1) and brightness (×0.3–1.2) on a noisy random
background; ``uint8`` 0–255.
"""

from __future__ import annotations

import numpy as np

from harness.datasets import Dataset, cached, record

NAME = "gtsrb_signs"
FILE = "traffic_signs/train.p"
SIDE = 32
N_CLASSES = 43
#: Images per class, GTSRB-like: these counts sum to 34,799 and span 180-2,010 as the real
#: training part does, but they were written down from memory and NOT checked against
#: GTSRB's labels; the stand-in only needs an imbalanced 43-class distribution of that shape.
CLASS_COUNTS = (
    180, 1980, 2010, 1260, 1770, 1650, 360, 1290, 1260, 1320, 1800, 1170, 1890, 1920, 690, 540,
    360, 990, 1080, 180, 300, 270, 330, 450, 240, 1350, 540, 210, 480, 240, 390, 690, 210, 599,
    360, 1080, 330, 180, 1860, 270, 300, 210, 210,
)
RIMS = ((200, 30, 30), (30, 60, 200), (230, 200, 20))
#: Edge-normal angles (degrees, image y pointing down) of each shape; ``None`` is a circle.
SHAPES = (None, (90, 210, 330), (270, 30, 150), (45, 135, 225, 315))

DATASET = Dataset(
    name=NAME,
    original="Udacity's GTSRB train.p: 34799 images 32x32x3, 43 classes",
    cache=(FILE,),
    stand_in="synthetic 32x32 signs (shape x rim colour x digit glyph), 34799 images",
    manual=(
        "traffic-signs-data.zip of Udacity's Traffic Sign Classifier project (see "
        "https://github.com/ulmefors/Traffic-Sign-Classifier): unzip it and save train.p as "
        f"{FILE} in the cache folder (sha256 not known here)."
    ),
)


def _shape_distance(shape, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    if shape is None:
        return np.hypot(px, py)
    angles = np.deg2rad(np.array(shape))[:, None, None, None]
    return np.max(px[None] * np.cos(angles) + py[None] * np.sin(angles), axis=0)


def _stand_in(n: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    rng = np.random.RandomState(0)
    digits = load_digits()
    by_digit = [digits.images[digits.target == d] / 16.0 for d in range(10)]
    counts = np.array(CLASS_COUNTS, dtype=np.float64)
    labels = rng.choice(N_CLASSES, size=n, p=counts / counts.sum())
    images = np.empty((n, SIDE, SIDE, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64)
    for start in range(0, n, 512):
        end = min(start + 512, n)
        m = end - start
        cls = labels[start:end]
        cx = 15.5 + rng.uniform(-3, 3, (m, 1, 1))
        cy = 15.5 + rng.uniform(-3, 3, (m, 1, 1))
        size = 12.0 * rng.uniform(0.75, 1.1, (m, 1, 1))
        px, py = (xx[None] - cx) / size, (yy[None] - cy) / size
        background = rng.uniform(40, 200, (m, 1, 1, 3)) + rng.normal(0, 25, (m, SIDE, SIDE, 3))
        img = background
        for shape_id, shape in enumerate(SHAPES):
            sel = np.nonzero(cls % 4 == shape_id)[0]
            if sel.size == 0:
                continue
            dist = _shape_distance(shape, px[sel], py[sel])
            rim = np.array(RIMS)[cls[sel] % 3][:, None, None, :]
            outer = (dist <= 1.0)[..., None]
            inner = (dist <= 0.62)[..., None]
            img[sel] = np.where(outer, rim, img[sel])
            img[sel] = np.where(inner, 235.0, img[sel])
        for i in range(m):
            pool = by_digit[cls[i] % 10]
            glyph = np.kron(pool[rng.randint(len(pool))], np.ones((2, 2)))  # 16x16
            g = max(4, int(round(16 * size[i, 0, 0] / 12.0 * 0.7)))
            rows = (np.arange(g) * 16 // g)[:, None]
            cols = (np.arange(g) * 16 // g)[None, :]
            glyph = glyph[rows, cols]
            top = int(round(cy[i, 0, 0] - g / 2))
            left = int(round(cx[i, 0, 0] - g / 2))
            region = img[i, top:top + g, left:left + g]
            region -= glyph[: region.shape[0], : region.shape[1], None] * 200.0
        img *= rng.uniform(0.3, 1.2, (m, 1, 1, 1))
        img += rng.normal(0, 6, img.shape)
        images[start:end] = np.clip(img, 0, 255).astype(np.uint8)
    return images, labels.astype(np.int64)


def load_data(n_samples: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(features, labels)`` of the training part: ``uint8`` (n, 32, 32, 3) and ``int`` (n,).

    Args:
        n_samples: Keep only the first ``n_samples`` images (``None``: all 34,799).
    """
    path = cached(FILE)
    if path is not None:
        import pickle

        with open(path, "rb") as f:
            train = pickle.load(f)
        features, labels = np.asarray(train["features"]), np.asarray(train["labels"])
        record(NAME, "cache", f"GTSRB train.p, {len(labels)} images", path)
    else:
        n = sum(CLASS_COUNTS) if n_samples is None else n_samples
        features, labels = _stand_in(n)
        record(NAME, "stand_in", f"synthetic 32x32 signs (shape x rim colour x digit glyph), "
               f"{n} images")
    if n_samples is not None:
        features, labels = features[:n_samples], labels[:n_samples]
    return features, labels
