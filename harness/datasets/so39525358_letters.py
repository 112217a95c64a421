"""The 20 letter-code rows of Stack Overflow 39525358 (``sorted output.csv``), or offline: the
same rows regenerated.

Original: ``sorted output.csv`` from the DeepLocalize benchmark folder of post 39525358 (233
bytes, UTF-8 BOM, classic-Mac CR line endings): a first line that the asker skips, then 20 rows
of three ASCII letter codes (65-70) and a 0/1 label. Every row is one of four patterns,
A = (65, 66, 67) -> 0, B = (68, 69, 70) -> 1, C = (65, 66, 70) -> 0, D = (68, 69, 67) -> 1, in
the order B A B A A A B A B A C D C B B A B A A A (label 1 exactly when the first code is 68;
12 rows of class 0, 8 of class 1). Cache file: ``sorted output.csv`` in that format (read with
universal newlines, the BOM stripped); :func:`load_data` returns what the asker's
``numpy.loadtxt("sorted output.csv", delimiter=",", skiprows=1)`` returns.

Stand-in: the 20 rows rebuilt from the patterns in that order (the same numbers as the file).
"""

from __future__ import annotations

import io

import numpy as np

from harness.datasets import Dataset, cached, record

NAME = "so39525358_letters"
FILE = "sorted output.csv"
PATTERNS = {
    "A": (65, 66, 67, 0),
    "B": (68, 69, 70, 1),
    "C": (65, 66, 70, 0),
    "D": (68, 69, 67, 1),
}
ORDER = "BABAAABABACDCBBABAAA"

DATASET = Dataset(
    name=NAME,
    original="sorted output.csv of SO 39525358: 20 rows of 3 letter codes + label",
    cache=(FILE,),
    stand_in="the 20 rows rebuilt from the four patterns in the original order",
    manual=(
        "'sorted output.csv' from the DeepLocalize benchmark folder of Stack Overflow post "
        "39525358: put it in the cache folder under that name (233 bytes; sha256 not known "
        "here)."
    ),
)


def _stand_in() -> np.ndarray:
    return np.array([PATTERNS[p] for p in ORDER], dtype=np.float64)


def load_data() -> np.ndarray:
    """The table as ``numpy.loadtxt("sorted output.csv", delimiter=",", skiprows=1)``: a
    ``(20, 4)`` float array, letter codes in columns 0-2, the 0/1 label in column 3."""
    path = cached(FILE)
    if path is not None:
        text = path.read_text(encoding="utf-8-sig")  # universal newlines handle the CR endings
        data = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1)
        record(NAME, "cache", "sorted output.csv of SO 39525358, 20 rows x 3 codes + label", path)
        return data
    record(NAME, "stand_in", "the 20 rows rebuilt from the four patterns in the original order")
    return _stand_in()
