"""The county table of Stack Overflow 34673164 (``dataset.csv``), or offline: nine synthetic
rows with the same column scales.

Original: ``dataset.csv`` from the DeepLocalize benchmark folder of post 34673164 (976 bytes):
10 lines, no header, 16 numeric county statistics and the 2012 presidential winner ("Obama" /
"Romney") in column 16. The asker reads it with ``pandas.read_csv`` and its default header row,
so the first line is eaten and 9 rows remain (4 Obama, 5 Romney). The column scales differ
wildly: column 0 9,278-662,628; columns 6 and 7 up to 175,134 and 267,862; column 12
56,642-159,768; column 2 34.5-313.13; column 3 9.7-224; columns 13-14 about -1.2 to 2.2;
column 15 0.14-0.93; the others 2-75. Cache file: ``so34673164_dataset.csv`` (the original
``dataset.csv`` renamed: post 45442843 has another ``dataset.csv``); :func:`read_csv` returns
what ``pandas.read_csv("dataset.csv", delimiter=",")`` returns.

Stand-in (``RandomState(0)``): 10 lines of 16 columns, each uniform between the ranges above
(columns 6 and 7 from 4,000 and 6,000 up), with a small class shift on columns 13-14 (+0.6 for
Obama); the first line is read as the header like the original's, leaving 4 Obama and 5 Romney
rows.
"""

from __future__ import annotations

import io

import numpy as np

from harness.datasets import Dataset, cached, record

NAME = "so34673164_counties"
FILE = "so34673164_dataset.csv"

# (low, high) per column of the original.
_RANGES = (
    (9278.0, 662628.0),  # 0
    (2.0, 75.0),  # 1
    (34.5, 313.13),  # 2
    (9.7, 224.0),  # 3
    (2.0, 75.0),  # 4
    (2.0, 75.0),  # 5
    (4000.0, 175134.0),  # 6
    (6000.0, 267862.0),  # 7
    (2.0, 75.0),  # 8
    (2.0, 75.0),  # 9
    (2.0, 75.0),  # 10
    (2.0, 75.0),  # 11
    (56642.0, 159768.0),  # 12
    (-1.2, 1.6),  # 13 (+0.6 for Obama: up to 2.2)
    (-1.2, 1.6),  # 14
    (0.14, 0.93),  # 15
)
# The first line becomes the header; the 9 data rows are 4 Obama and 5 Romney.
_WINNERS = ("Romney", "Obama", "Romney", "Obama", "Romney", "Romney", "Obama", "Romney",
            "Obama", "Romney")

DATASET = Dataset(
    name=NAME,
    original="dataset.csv of SO 34673164: 10 lines x 16 county statistics + winner",
    cache=(FILE,),
    stand_in="10 synthetic county lines with the original column ranges",
    manual=(
        "dataset.csv from the DeepLocalize benchmark folder of Stack Overflow post 34673164: "
        f"save it as {FILE} in the cache folder (976 bytes; sha256 not known here)."
    ),
)


def _stand_in_text() -> str:
    rng = np.random.RandomState(0)
    lines = []
    for winner in _WINNERS:
        row = [rng.uniform(low, high) for low, high in _RANGES]
        if winner == "Obama":
            row[13] += 0.6
            row[14] += 0.6
        lines.append(",".join(f"{v:.2f}" for v in row) + f",{winner}\n")
    return "".join(lines)


def read_csv():
    """The ``pandas.DataFrame`` of ``pandas.read_csv("dataset.csv", delimiter=",")``: the first
    line taken as the header, 9 rows of 16 numbers and the winner's name."""
    import pandas as pd

    path = cached(FILE)
    if path is not None:
        record(NAME, "cache", "dataset.csv of SO 34673164, 9 rows after the header line", path)
        return pd.read_csv(path, delimiter=",")
    record(NAME, "stand_in", "10 synthetic county lines with the original column ranges, "
           "first read as the header (9 rows: 4 Obama, 5 Romney)")
    return pd.read_csv(io.StringIO(_stand_in_text()), delimiter=",")
