"""The sine-direction table of Stack Overflow 41372874 (``SIN.csv``), or offline: 299 rows
built to the same description.

Original: ``SIN.csv`` from the DeepLocalize benchmark folder of post 41372874 (8,116 bytes): a
header line ``SIN,SIN-1,Direction`` and 299 rows. The first ~16 rows are sin(0.0628 k) and its
previous value; the rest are unordered values in [0, 0.84] with the second column a monotone
transform of the first that reaches about -2.5. **Direction is 1 in every row.** Cache file:
``SIN.csv`` in that format; :func:`read_csv` returns what the asker's
``pandas.read_csv("SIN.csv", usecols=[0, 1, 2], engine="python")`` returns.

Stand-in (``RandomState(0)``): rows k = 1..16 are (sin(0.0628 k), sin(0.0628 (k - 1))); the
other 283 rows have x0 uniform in [0.082, 0.84] and x1 = ln(x0) (down to about -2.5); the label
is 1 everywhere.
"""

from __future__ import annotations

import numpy as np

from harness.datasets import Dataset, cached, record

NAME = "so41372874_sin"
FILE = "SIN.csv"
N_ROWS = 299
N_SINE_ROWS = 16
COLUMNS = ("SIN", "SIN-1", "Direction")

DATASET = Dataset(
    name=NAME,
    original="SIN.csv of SO 41372874: 299 rows (SIN, SIN-1, Direction = 1)",
    cache=(FILE,),
    stand_in="16 sine/lag rows, then x0 ~ U(0.082, 0.84) with x1 = ln(x0); label 1",
    manual=(
        "SIN.csv from the DeepLocalize benchmark folder of Stack Overflow post 41372874: put it "
        "in the cache folder under that name (8,116 bytes; sha256 not known here)."
    ),
)


def _stand_in():
    import pandas as pd

    k = np.arange(1, N_SINE_ROWS + 1)
    sine = np.column_stack([np.sin(0.0628 * k), np.sin(0.0628 * (k - 1))])
    x0 = np.random.RandomState(0).uniform(0.082, 0.84, size=N_ROWS - N_SINE_ROWS)
    rest = np.column_stack([x0, np.log(x0)])
    x = np.round(np.vstack([sine, rest]), 6)
    return pd.DataFrame(
        {COLUMNS[0]: x[:, 0], COLUMNS[1]: x[:, 1], COLUMNS[2]: np.ones(N_ROWS, dtype=int)}
    )


def read_csv():
    """The ``pandas.DataFrame`` of ``pandas.read_csv("SIN.csv", usecols=[0, 1, 2])``: 299 rows,
    columns ``SIN``, ``SIN-1`` and ``Direction`` (always 1)."""
    import pandas as pd

    path = cached(FILE)
    if path is not None:
        record(NAME, "cache", "SIN.csv of SO 41372874, 299 rows, label always 1", path)
        return pd.read_csv(path, usecols=[0, 1, 2], engine="python")
    record(NAME, "stand_in", "299 rows: 16 sine/lag rows, then x0 ~ U(0.082, 0.84) with "
           "x1 = ln(x0); label 1 in every row")
    return _stand_in()
