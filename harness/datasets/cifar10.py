"""CIFAR-10, or offline: scikit-learn's 8x8 digits blown up to 32x32 colour images.

Original: ``keras.datasets.cifar10`` — 50,000/10,000 colour images 32x32x3 ``uint8`` 0-255 in
10 classes, labels shaped ``(n, 1)``. Cache file: ``cifar-10-python.tar.gz`` (the archive Keras
downloads, with the pickled batches ``data_batch_1`` ... ``data_batch_5`` and ``test_batch``).

Stand-in: ``sklearn.datasets.load_digits`` (1,797 images, 8x8, values 0-16) rescaled to
``uint8`` 0-255, every pixel repeated 4x4 to 32x32 and copied into 3 identical channels; the
digit is the class (10 classes); split 1,437/360 with the same fixed permutation as
:mod:`harness.datasets.mnist`. The stand-in is far easier than CIFAR-10 (grey, centred,
noise-free digits), so performance gaps measured on CIFAR-10 may not show on it.
"""

from __future__ import annotations

import numpy as np

from harness.datasets import Dataset, Download, cached, record

NAME = "cifar10"
FILE = "cifar-10-python.tar.gz"

DATASET = Dataset(
    name=NAME,
    original="keras.datasets.cifar10: 50000/10000 32x32x3 uint8",
    cache=(FILE,),
    stand_in="sklearn load_digits 8x8 -> 32x32x3 uint8 (grey in 3 channels), 1437/360 split",
    downloads=(Download(
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", FILE,
        "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
        "keras.datasets.cifar10 (Keras 3.15 source, file_hash)"),),
)


def _from_archive(path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    import pickle
    import tarfile

    batches: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    with tarfile.open(path, "r:gz") as archive:
        for member in archive.getmembers():
            name = member.name.rsplit("/", 1)[-1]
            if name.startswith("data_batch_") or name == "test_batch":
                with archive.extractfile(member) as f:
                    batch = pickle.load(f, encoding="bytes")
                images = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
                labels = np.asarray(batch[b"labels"], dtype=np.uint8).reshape(-1, 1)
                batches[name] = (images.transpose(0, 2, 3, 1), labels)
    train = [batches[f"data_batch_{i}"] for i in range(1, 6)]
    x_train = np.concatenate([b[0] for b in train])
    y_train = np.concatenate([b[1] for b in train])
    return (x_train, y_train), batches["test_batch"]


def _stand_in() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
    images = np.repeat(np.repeat(images, 4, axis=1), 4, axis=2)
    images = np.repeat(images[..., np.newaxis], 3, axis=3)
    labels = digits.target.astype(np.uint8).reshape(-1, 1)
    order = np.random.RandomState(0).permutation(len(labels))
    images, labels = images[order], labels[order]
    n_train = 1437
    return (images[:n_train], labels[:n_train]), (images[n_train:], labels[n_train:])


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.cifar10.load_data()``."""
    path = cached(FILE)
    if path is not None:
        record(NAME, "cache", "keras.datasets.cifar10, 50000/10000 32x32x3", path)
        return _from_archive(path)
    record(NAME, "stand_in", "sklearn load_digits 8x8 -> 32x32x3 uint8 0-255 (pixels repeated "
           "4x4, grey in 3 channels), 1437/360 split")
    return _stand_in()
