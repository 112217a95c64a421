"""The integer table of Stack Overflow 45442843 (``dataset.csv``), or offline: the same rule.

Original: ``dataset.csv`` from the DeepLocalize benchmark folder of post 45442843 (8,998 bytes,
1,000 lines, no header, two integer columns): x in [15041, 24987] and a label that is 1 exactly
when x < 20000 (51 % of the rows are class 0). The asker reads it with ``pandas.read_csv`` and
its default header row, so the first line is eaten and 999 rows remain. Cache file:
``so45442843_dataset.csv`` (the original ``dataset.csv`` renamed: post 34673164 has another
``dataset.csv``). :func:`read_csv` returns what ``pandas.read_csv("dataset.csv")`` returns.

Stand-in: 1,000 integers drawn uniformly from [15000, 25000) with ``RandomState(0)``, label
``x < 20000``, written as the same header-less CSV text and read back the same way (999 rows,
48 % class 1).
"""

from __future__ import annotations

import io

import numpy as np

from harness.datasets import Dataset, cached, record

NAME = "so45442843_dataset"
FILE = "so45442843_dataset.csv"
N_LINES = 1000

DATASET = Dataset(
    name=NAME,
    original="dataset.csv of SO 45442843: 1000 lines, integer x and label x < 20000",
    cache=(FILE,),
    stand_in="1000 uniform integers in [15000, 25000), label x < 20000",
    manual=(
        "dataset.csv from the DeepLocalize benchmark folder of Stack Overflow post 45442843: "
        f"save it as {FILE} in the cache folder (8,998 bytes; sha256 not known here)."
    ),
)


def _stand_in_text() -> str:
    x = np.random.RandomState(0).randint(15000, 25000, size=N_LINES)
    label = (x < 20000).astype(int)
    return "".join(f"{a},{b}\n" for a, b in zip(x, label))


def read_csv():
    """The ``pandas.DataFrame`` of ``pandas.read_csv("dataset.csv")``: the first line taken as
    the header, 999 rows with x in column 0 and the 0/1 label in column 1."""
    import pandas as pd

    path = cached(FILE)
    if path is not None:
        record(NAME, "cache", "dataset.csv of SO 45442843, 999 rows after the header line", path)
        return pd.read_csv(path)
    record(NAME, "stand_in", "1000 uniform integers in [15000, 25000), label x < 20000, "
           "first line read as the header (999 rows)")
    return pd.read_csv(io.StringIO(_stand_in_text()))
