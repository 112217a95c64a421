"""MNIST as CSV tables (``mnist_train.csv``, ``mnist_test.csv``), or offline: sklearn digits.

Original: the CSV export of MNIST used by Stack Overflow 55328966 (shipped there zipped as
``mnist_train.csv.zip`` / ``mnist_test.csv.zip``; the training zip is missing from the public
benchmark repository). One header line ``label,1x1,1x2,...,28x28``, then one row per image: the
digit, then 784 pixel values 0-255 in row-major order. Cache files: ``mnist_train.csv`` and
``mnist_test.csv`` (unzipped), used only when both are there (training on the digits and testing
on MNIST would make no sense). :func:`read_csv` returns what ``pandas.read_csv`` returns for them.

Stand-in: the digits stand-in of :mod:`harness.datasets.mnist` at 28x28 (each 8x8 pixel
repeated 3x3, zero-padded, 0-255; 1,437 train / 360 test rows) laid out in the same columns.
"""

from __future__ import annotations

import numpy as np

from harness.datasets import cached, record
from harness.datasets.mnist import _stand_in as _digits_28

NAME = "mnist_csv"
COLUMNS = ["label"] + [f"{row}x{col}" for row in range(1, 29) for col in range(1, 29)]
SPLITS = ("train", "test")


def read_csv(split: str):
    """The ``pandas.DataFrame`` of ``pandas.read_csv("mnist_<split>.csv")``.

    Args:
        split: ``"train"`` or ``"test"``.
    """
    import pandas as pd

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    paths = {s: cached(f"mnist_{s}.csv") for s in SPLITS}
    if all(p is not None for p in paths.values()):
        path = paths[split]
        record(NAME, "cache", f"mnist_{split}.csv: label + 784 pixel columns 0-255", path)
        return pd.read_csv(path)
    record(NAME, "stand_in", "sklearn load_digits upsampled to 28x28 uint8 0-255 as label + "
           "784 pixel columns, 1437 train / 360 test rows")
    train, test = _digits_28(28)
    images, labels = train if split == "train" else test
    table = np.concatenate([labels.reshape(-1, 1), images.reshape(len(labels), -1)], axis=1)
    return pd.DataFrame(table.astype(np.int64), columns=COLUMNS)
