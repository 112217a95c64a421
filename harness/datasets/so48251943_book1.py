"""The 17-row table of Stack Overflow 48251943 (``Book1.csv``), or offline: a synthetic table.

Original: ``Book1.csv`` from the DeepLocalize benchmark folder of post 48251943 (1,033 bytes,
17 rows x 10 comma-separated numeric columns, no header; the first cell starts with a UTF-8 BOM,
which ``numpy.genfromtxt`` reads as NaN). The program uses column 1 as the target (mean 0.91,
variance 0.88, one negative value -1.05, maximum 2.71) and columns 2-3 as the features (values
between -1.04 and 2.05). Cache file: ``Book1.csv`` in that format; :func:`load_table` returns it
as ``numpy.genfromtxt("Book1.csv", delimiter=",")`` does.

Stand-in: 17 rows with the same statistics, fixed seed: features normal(0.6, 0.85), target
``0.9 + 0.35*x1 - 0.25*x2 + normal(0, 0.75)`` (mean about 0.9, a few negative values).
Column 0 holds the row number (NaN in the first row, like the BOM cell); columns 4-9, which the
program never reads, are NaN.
"""

from __future__ import annotations

import numpy as np

from harness.datasets import Dataset, cached, record

NAME = "so48251943_book1"
FILE = "Book1.csv"
N_ROWS = 17
N_COLUMNS = 10

DATASET = Dataset(
    name=NAME,
    original="Book1.csv of SO 48251943: 17 rows x 10 numeric columns",
    cache=(FILE,),
    stand_in="17 synthetic rows: x ~ N(0.6, 0.85), y linear in x + N(0, 0.75)",
    manual=(
        "Book1.csv from the DeepLocalize benchmark folder of Stack Overflow post 48251943: put "
        "it in the cache folder under that name (1,033 bytes; sha256 not known here)."
    ),
)


def _stand_in() -> np.ndarray:
    rng = np.random.RandomState(0)
    x = rng.normal(0.6, 0.85, size=(N_ROWS, 2))
    y = 0.9 + 0.35 * x[:, 0] - 0.25 * x[:, 1] + rng.normal(0.0, 0.75, size=N_ROWS)
    table = np.full((N_ROWS, N_COLUMNS), np.nan)
    table[:, 0] = np.arange(1, N_ROWS + 1)
    table[0, 0] = np.nan
    table[:, 1] = np.round(y, 2)
    table[:, 2:4] = np.round(x, 2)
    return table


def load_table() -> np.ndarray:
    """The table as ``numpy.genfromtxt("Book1.csv", delimiter=",")``: a ``(17, 10)`` float array,
    target in column 1, features in columns 2-3."""
    path = cached(FILE)
    if path is not None:
        table = np.genfromtxt(path, delimiter=",")
        record(NAME, "cache", "Book1.csv of SO 48251943, 17 rows x 10 columns", path)
        return table
    record(NAME, "stand_in", "17 synthetic rows: x ~ N(0.6, 0.85), y linear in x + N(0, 0.75)")
    return _stand_in()
