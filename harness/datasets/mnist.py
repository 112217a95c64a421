"""MNIST, or offline: scikit-learn's 8×8 digits.

Original: ``keras.datasets.mnist`` — 60,000/10,000 images, 28×28 ``uint8`` in 0–255.
Cache file: ``mnist.npz`` with arrays ``x_train, y_train, x_test, y_test`` (the file Keras
downloads). Stand-in: ``sklearn.datasets.load_digits`` (1,797 images, 8×8, values 0–16) rescaled
to ``uint8`` 0–255, split 1,437/360 with a fixed permutation. Programs that flatten images must
use ``x.shape`` rather than 784, or pass ``size=28`` to upsample the stand-in to MNIST's shape
(every pixel repeated 3×3 gives 24×24, then 2 pixels of zero padding on each side).
"""

from __future__ import annotations

import numpy as np

from harness.datasets import cached, record

NAME = "mnist"


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
            shape). Ignored when the original is cached (always 28).
    """
    path = cached("mnist.npz")
    if path is not None:
        with np.load(path) as f:
            data = (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
        record(NAME, "cache", "keras.datasets.mnist, 60000/10000 28x28", path)
        return data
    record(NAME, "stand_in", f"sklearn load_digits as {size}x{size} uint8 0-255, 1437/360 split")
    return _stand_in(size)
