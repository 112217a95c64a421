"""The number-classification table of Stack Overflow 58609115 (``export78.csv``), or offline:
a generator that follows the same rule.

Original: ``export78.csv`` from the DeepLocalize benchmark folder of post 58609115 (29,946
bytes, 2,210 lines, two comma-separated integer columns). Column 0 is a number from 1 to about
1e9; column 1 is its class code: 0 for one-digit numbers, otherwise (leading digit) +
10^(number of digits - 2), e.g. 2-10 for two-digit numbers, 11-19 for three digits, 101-109 for
four digits. The file has no header, so ``pandas.read_csv("export78.csv")`` takes its first line
as the column names and returns 2,209 rows with 69 distinct codes. Cache file: ``export78.csv``
in that format; :func:`read_csv` returns it as ``pandas.read_csv`` does.

Stand-in: 2,210 generated lines (fixed seed), the first again becoming the header. The number of
digits follows the original's frequencies (1-9 digits: 35, 463, 34, 464, 7, 46, 445, 70, 646 of
2,209 rows); the number is uniform among the numbers with that many digits; the code follows
the rule above. The draw has fewer distinct codes than the original (rare lengths do not get
all nine leading digits), so programs should count the classes rather than assume 69.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.datasets import Dataset, cached, record

NAME = "so58609115_export78"
FILE = "export78.csv"
N_LINES = 2210
# Rows of the original per number of digits 1..9 (after pandas took the first line as header).
_LENGTH_COUNTS = (35, 463, 34, 464, 7, 46, 445, 70, 646)

DATASET = Dataset(
    name=NAME,
    original="export78.csv of SO 58609115: 2210 lines (number, class code)",
    cache=(FILE,),
    stand_in="2209 generated numbers with 1-9 digits and their class codes",
    manual=(
        "export78.csv from the DeepLocalize benchmark folder of Stack Overflow post 58609115: "
        "put it in the cache folder under that name (29,946 bytes; sha256 not known here)."
    ),
)


def code_of(number: int) -> int:
    """The class code of a positive integer, as in the original file."""
    digits = str(number)
    if len(digits) == 1:
        return 0
    return int(digits[0]) + 10 ** (len(digits) - 2)


def _stand_in() -> Any:
    import pandas as pd

    rng = np.random.RandomState(0)
    weights = np.array(_LENGTH_COUNTS, dtype=float) / sum(_LENGTH_COUNTS)
    lengths = rng.choice(np.arange(1, 10), size=N_LINES, p=weights)
    numbers = [
        int(rng.randint(1, 10)) if n == 1 else int(rng.randint(10 ** (n - 1), 10**n))
        for n in lengths
    ]
    rows = [(number, code_of(number)) for number in numbers]
    header, body = rows[0], rows[1:]
    return pd.DataFrame(body, columns=[str(header[0]), str(header[1])])


def read_csv() -> Any:
    """The table as ``pandas.read_csv("export78.csv")``: a 2,209 x 2 integer DataFrame (number,
    class code) whose column names are the file's first line."""
    path = cached(FILE)
    if path is not None:
        import pandas as pd

        frame = pd.read_csv(path)
        record(NAME, "cache", "export78.csv of SO 58609115, 2209 rows (number, class code)", path)
        return frame
    record(NAME, "stand_in", "2209 generated numbers with 1-9 digits and their class codes")
    return _stand_in()
