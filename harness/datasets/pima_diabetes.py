"""Pima Indians Diabetes, or offline: a synthetic table with Pima's columns and class balance.

Original: ``pima-indians-diabetes.data`` (UCI; 768 rows, 24,047 bytes) — comma-separated, no
header, 8 raw features (pregnancies, plasma glucose, diastolic blood pressure, triceps skin fold,
2-hour serum insulin, BMI, diabetes pedigree function, age) and a 0/1 label (34.9 % positive).
Cache file: ``pima-indians-diabetes.data`` in that format. Programs read it with
``numpy.loadtxt(..., delimiter=",")``; :func:`load_data` returns the same ``(768, 9)`` array.

Stand-in: ``sklearn.datasets.make_classification`` (768 rows, 8 features, 65/35 class weights,
10 % flipped labels, fixed seed), every column rescaled to the original's mean and standard
deviation, clipped to its range and rounded like it (counts and mm Hg as integers), so the
inputs keep Pima's raw, unnormalised scales (insulin up to 846, ages 21-81).
"""

from __future__ import annotations

import numpy as np

from harness.datasets import Dataset, cached, record

NAME = "pima_diabetes"
FILE = "pima-indians-diabetes.data"

# Per column of the original: mean, standard deviation, min, max, decimals.
_COLUMNS = (
    (3.85, 3.37, 0.0, 17.0, 0),  # pregnancies
    (120.9, 32.0, 0.0, 199.0, 0),  # plasma glucose
    (69.1, 19.4, 0.0, 122.0, 0),  # diastolic blood pressure
    (20.5, 16.0, 0.0, 99.0, 0),  # triceps skin fold
    (79.8, 115.2, 0.0, 846.0, 0),  # 2-hour serum insulin
    (32.0, 7.9, 0.0, 67.1, 1),  # BMI
    (0.47, 0.33, 0.078, 2.42, 3),  # diabetes pedigree function
    (33.2, 11.8, 21.0, 81.0, 0),  # age
)

DATASET = Dataset(
    name=NAME,
    original="UCI Pima Indians Diabetes: 768 rows x 8 raw features + label",
    cache=(FILE,),
    stand_in="make_classification 768x8, 65/35, flip_y 0.1, Pima column scales",
    manual=(
        "pima-indians-diabetes.data as shipped in the upstream repository "
        "https://github.com/eangelou/kerasma (no official download is known here): save it "
        f"as {FILE} in the cache folder (24,047 bytes; sha256 not known here)."
    ),
)


def _stand_in() -> np.ndarray:
    from sklearn.datasets import make_classification

    x, y = make_classification(
        n_samples=768,
        n_features=8,
        n_informative=5,
        n_redundant=2,
        n_clusters_per_class=2,
        weights=[0.65, 0.35],
        flip_y=0.1,
        class_sep=0.8,
        random_state=7,
    )
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    columns = []
    for j, (mean, std, low, high, decimals) in enumerate(_COLUMNS):
        columns.append(np.round(np.clip(mean + std * x[:, j], low, high), decimals))
    return np.column_stack([*columns, y.astype(np.float64)])


def load_data() -> np.ndarray:
    """The data set as ``numpy.loadtxt("pima-indians-diabetes.data", delimiter=",")``:
    a ``(768, 9)`` float array, features in columns 0-7, the 0/1 label in column 8."""
    path = cached(FILE)
    if path is not None:
        data = np.loadtxt(path, delimiter=",")
        record(NAME, "cache", "UCI Pima Indians Diabetes, 768 rows x 8 raw features + label", path)
        return data
    record(NAME, "stand_in", "make_classification 768x8, 65/35, flip_y 0.1, Pima column scales")
    return _stand_in()
