"""Photos for kcct-fujimotolab/keras-super-resolution, or offline: crops of scikit-learn's photos.

Original: any folder of JPEG photos (the program's ``images/`` folder; the repository ships
none, and the benchmark does not say which photos were used — its 100 iterations per epoch
suggest about 100). Cache folder: ``keras-super-resolution/images/`` holding ``*.jpg`` files,
read in sorted order and converted to RGB.

Stand-in: random square crops from the two 427x640 RGB photos bundled with scikit-learn
(``sklearn.datasets.load_sample_images()``: a Chinese temple and a flower), drawn with a fixed
seed, each crop's side uniform in ``[min_side, max_side]``; the programs then shrink and
re-enlarge each crop themselves.
"""

from __future__ import annotations

import numpy as np

from harness.datasets import Dataset, cached_dir, record

NAME = "super_resolution_images"
FOLDER = "keras-super-resolution/images"

DATASET = Dataset(
    name=NAME,
    original="a folder of the user's own JPEG photos (none ship with the repository)",
    cache=(f"{FOLDER}/",),
    stand_in="square crops of scikit-learn's two sample photos",
    manual=(
        "any JPEG photos (the benchmark does not say which; about 100): put *.jpg files into "
        f"{FOLDER}/ in the cache folder."
    ),
)


def _stand_in(count: int, min_side: int, max_side: int) -> list:
    from PIL import Image
    from sklearn.datasets import load_sample_images

    photos = load_sample_images().images
    rng = np.random.RandomState(0)
    crops = []
    for _ in range(count):
        photo = photos[rng.randint(len(photos))]
        side = rng.randint(min_side, min(max_side, *photo.shape[:2]) + 1)
        top = rng.randint(0, photo.shape[0] - side + 1)
        left = rng.randint(0, photo.shape[1] - side + 1)
        crops.append(Image.fromarray(photo[top : top + side, left : left + side]))
    return crops


def load_images(count: int = 100, min_side: int = 128, max_side: int = 384) -> list:
    """Photos as a list of RGB ``PIL.Image`` objects.

    Args:
        count: How many (the first ``count`` files when cached; the stand-in draws exactly this
            many crops).
        min_side, max_side: Side range of the stand-in's square crops (ignored when cached).
    """
    folder = cached_dir(FOLDER)
    files = sorted(folder.glob("*.jpg")) if folder is not None else []
    if folder is not None and files:
        from PIL import Image

        images = []
        for path in files[:count]:
            with Image.open(path) as img:
                images.append(img.convert("RGB"))
        record(NAME, "cache", f"{len(images)} JPEG photos from the cache folder", folder)
        return images
    record(
        NAME, "stand_in",
        f"{count} square crops, side {min_side}-{max_side}, of sklearn's two sample photos",
    )
    return _stand_in(count, min_side, max_side)
