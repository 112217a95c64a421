"""Kaggle Facial Keypoints Detection, or offline: synthetic faces with 15 keypoints.

Original: Kaggle's ``training.csv`` (7,049 rows: 30 keypoint coordinate columns and an
``Image`` column of 9,216 space-separated grey values 0–255 of a 96×96 face) and ``test.csv``
(1,783 rows: ``ImageId``, ``Image``). Cache files: ``facial_keypoints/training.csv`` and
``facial_keypoints/test.csv``, as downloaded from the competition page.

Stand-in: 2,140 training faces (the number of complete rows in ``training.csv``) and 1,783 test
faces, rendered from a fixed generator: Kaggle's mean keypoint template under a random similarity
transform (scale 0.85–1.15, rotation ±10°, shift ±6 px) plus ±1 px jitter per keypoint; a noisy
background, a brighter face ellipse, and a dark Gaussian spot (σ 2.5 px) at every keypoint. Pixel
values are ``uint8`` 0–255 like the CSV. The same images come back on every call.

:func:`load` follows D. Nouri's tutorial loader that the original program used: rows with a
missing keypoint are dropped, ``X = pixels / 255`` (float32, shape ``(n, 9216)``),
``y = (coordinate - 48) / 48`` (float32, shape ``(n, 30)``, Kaggle's column order), and the rows
are shuffled with ``random_state=42``.
"""

from __future__ import annotations

import numpy as np

from harness.datasets import Dataset, cached, record

NAME = "facial_keypoints"
TRAIN_FILE = "facial_keypoints/training.csv"
TEST_FILE = "facial_keypoints/test.csv"
SIDE = 96
N_TRAIN = 2140
N_TEST = 1783

#: Kaggle's 15 keypoints in column order, as approximate mean pixel positions (x, y).
COLUMNS = (
    "left_eye_center", "right_eye_center",
    "left_eye_inner_corner", "left_eye_outer_corner",
    "right_eye_inner_corner", "right_eye_outer_corner",
    "left_eyebrow_inner_end", "left_eyebrow_outer_end",
    "right_eyebrow_inner_end", "right_eyebrow_outer_end",
    "nose_tip", "mouth_left_corner", "mouth_right_corner",
    "mouth_center_top_lip", "mouth_center_bottom_lip",
)
TEMPLATE = np.array(
    [
        (66, 38), (30, 38),
        (59, 38), (73, 38),
        (37, 38), (22, 38),
        (56, 29), (80, 30),
        (39, 30), (16, 30),
        (48, 63), (63, 76), (33, 76),
        (48, 73), (49, 79),
    ],
    dtype=np.float64,
)

DATASET = Dataset(
    name=NAME,
    original="Kaggle Facial Keypoints Detection training.csv (7049 rows) / test.csv (1783)",
    cache=(TRAIN_FILE,),
    stand_in="synthetic 96x96 faces with 15 keypoints, 2140 training / 1783 test rows",
    manual=(
        "Kaggle competition 'facial-keypoints-detection' (https://www.kaggle.com/c/facial-"
        "keypoints-detection/data; needs a Kaggle login and accepting the rules): unzip "
        "training.zip (and test.zip) and save training.csv (and test.csv) as "
        f"{TRAIN_FILE} (and {TEST_FILE}) in the cache folder (sha256 not known here)."
    ),
)


def _render(n: int, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    """``n`` faces as ``uint8`` (n, 9216) and their keypoints in pixels, (n, 30)."""
    scale = rng.uniform(0.85, 1.15, n)
    angle = np.deg2rad(rng.uniform(-10, 10, n))
    shift = rng.uniform(-6, 6, (n, 2))
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    rot = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)  # (n, 2, 2)
    centre = np.array([48.0, 48.0])
    points = np.einsum("nij,kj->nki", rot, TEMPLATE - centre) + centre + shift[:, None, :]
    points += rng.uniform(-1, 1, points.shape)
    face_centre = np.einsum("nij,j->ni", rot, np.array([0.0, 7.0])) + centre + shift

    yy, xx = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64)
    images = np.empty((n, SIDE * SIDE), dtype=np.uint8)
    for start in range(0, n, 128):
        end = min(start + 128, n)
        m = end - start
        img = rng.uniform(0.15, 0.35, (m, 1, 1)) + rng.normal(0, 0.05, (m, SIDE, SIDE))
        dx = xx[None] - face_centre[start:end, 0, None, None]
        dy = yy[None] - face_centre[start:end, 1, None, None]
        a = (34 * scale[start:end])[:, None, None]
        b = (44 * scale[start:end])[:, None, None]
        ca, sa = np.cos(angle[start:end])[:, None, None], np.sin(angle[start:end])[:, None, None]
        u, v = ca * dx + sa * dy, -sa * dx + ca * dy
        img += np.where((u / a) ** 2 + (v / b) ** 2 <= 1, rng.uniform(0.3, 0.5, (m, 1, 1)), 0)
        for k in range(len(TEMPLATE)):
            px = points[start:end, k, 0, None, None]
            py = points[start:end, k, 1, None, None]
            img -= 0.45 * np.exp(-((xx[None] - px) ** 2 + (yy[None] - py) ** 2) / (2 * 2.5**2))
        images[start:end] = np.round(np.clip(img, 0, 1) * 255).reshape(m, -1).astype(np.uint8)
    return images, points.reshape(n, -1)


def _finish(pixels: np.ndarray, keypoints: np.ndarray | None):
    from sklearn.utils import shuffle

    x = pixels.astype(np.float32) / 255.0
    if keypoints is None:
        return x, None
    y = ((keypoints - 48) / 48).astype(np.float32)
    return shuffle(x, y, random_state=42)


def load(test: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """``(X, y)`` like the tutorial's ``load()``; ``y`` is ``None`` for the test set."""
    path = cached(TEST_FILE if test else TRAIN_FILE)
    if path is not None:
        import pandas as pd

        frame = pd.read_csv(path)
        frame["Image"] = frame["Image"].apply(lambda s: np.array(s.split(), dtype=np.uint8))
        frame = frame.dropna()
        pixels = np.vstack(frame["Image"].values)
        keypoints = None if test else frame[frame.columns[:-1]].values.astype(np.float64)
        record(NAME, "cache", f"Kaggle facial keypoints {path.name}, {len(frame)} rows", path)
        return _finish(pixels, keypoints)
    n = N_TEST if test else N_TRAIN
    rng = np.random.RandomState(1 if test else 0)
    pixels, keypoints = _render(n, rng)
    record(NAME, "stand_in", f"synthetic 96x96 faces with 15 keypoints, {n} rows")
    return _finish(pixels, None if test else keypoints)
