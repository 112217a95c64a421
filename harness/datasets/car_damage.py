"""Car Damage, severity subset ``data3a``, or offline: sklearn digits 0/1/2 as colour images.

Original: the "Car Damage Dataset" of Stack Overflow 50079585 (Open Data Commons Attribution
licence), subset ``data3a``: JPEG photos of about 230x200 in
``data3a/{training,validation}/<class>/``, three classes (minor / moderate / severe, in the
alphabetical order of their folder names): 979 training images (278/315/386) and 171
validation images (48/55/68). Cache folder: ``car_damage/data3a`` (the subset as published,
one sub-folder per class under ``training`` and ``validation``). :func:`load_data` returns
what a Keras directory iterator would read from it, as arrays: the images resized to
``target_size`` (float32 0-255, RGB) and the class indices 0/1/2.

Stand-in: ``sklearn.datasets.load_digits`` classes 0, 1 and 2 (537 images, 8x8, values 0-16)
rescaled to 0-255, blown up to ``target_size`` by nearest-neighbour sampling and copied into
3 identical channels; split 457 training / 80 validation (85/15, as 979/171) with a fixed
permutation.
"""

from __future__ import annotations

import numpy as np

from harness.datasets import Dataset, cache_dir, cached_dir, record

NAME = "car_damage"
FOLDER = "car_damage/data3a"
SPLITS = ("training", "validation")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

DATASET = Dataset(
    name=NAME,
    original="Car Damage Dataset data3a: 979/171 JPEGs, minor / moderate / severe",
    cache=(f"{FOLDER}/training/", f"{FOLDER}/validation/"),
    stand_in="sklearn load_digits classes 0-2 as RGB images 0-255, 457/80 split",
    manual=(
        "the 'Car Damage Dataset' of Stack Overflow 50079585 (Open Data Commons Attribution): "
        f"copy its subset data3a so that the cache folder holds {FOLDER}/training/<class>/ and "
        f"{FOLDER}/validation/<class>/ with the JPEGs (sha256 not known here)."
    ),
)


def _from_folder(root, target_size: tuple[int, int]):
    import keras

    out = []
    for split in SPLITS:
        classes = sorted(p.name for p in (root / split).iterdir() if p.is_dir())
        images, labels = [], []
        for index, name in enumerate(classes):
            for path in sorted((root / split / name).iterdir()):
                if path.suffix.lower() in IMAGE_SUFFIXES:
                    image = keras.utils.load_img(path, target_size=target_size)
                    images.append(keras.utils.img_to_array(image))
                    labels.append(index)
        out.append((np.stack(images).astype("float32"), np.array(labels, dtype=np.int64)))
    return out[0], out[1]


def _stand_in(target_size: tuple[int, int]):
    from sklearn.datasets import load_digits

    digits = load_digits(n_class=3)
    images = digits.images * (255.0 / 16.0)
    rows = (np.arange(target_size[0]) * 8) // target_size[0]
    cols = (np.arange(target_size[1]) * 8) // target_size[1]
    images = images[:, rows][:, :, cols]
    images = np.repeat(images[..., np.newaxis], 3, axis=3).astype("float32")
    labels = digits.target.astype(np.int64)
    order = np.random.RandomState(0).permutation(len(labels))
    images, labels = images[order], labels[order]
    n_train = int(round(len(labels) * 979 / 1150))
    return (images[:n_train], labels[:n_train]), (images[n_train:], labels[n_train:])


def load_data(target_size: tuple[int, int] = (150, 150)):
    """``(x_train, y_train), (x_validation, y_validation)``: images float32 0-255 of shape
    ``(n, *target_size, 3)`` and class indices 0/1/2."""
    folders = [cached_dir(f"{FOLDER}/{split}") for split in SPLITS]
    root = cache_dir() / FOLDER
    if all(folders):
        record(NAME, "cache", f"Car Damage data3a, 979/171 images resized to {target_size}",
               root)
        return _from_folder(root, target_size)
    record(NAME, "stand_in", f"sklearn load_digits classes 0-2 as {target_size} RGB images "
           "0-255, 457/80 split")
    return _stand_in(target_size)
