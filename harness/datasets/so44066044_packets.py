"""The 21 captured network packets of Stack Overflow 44066044 (``NetworkPackets.csv``), or
offline: 21 synthetic rows with the same structure.

Original: ``NetworkPackets.csv`` from the DeepLocalize benchmark folder of post 44066044
(1,157 bytes, 21 rows, no header, 11 numeric features + a 0/1 label; 8 rows of class 0 first,
then 13 of class 1). Column 0 is the source IPv4 address as an integer (about 3.232e9, i.e.
192.168.x.x; every class-1 row comes from ...781, class-0 rows from ...773 or ...778), column 1
the destination address (constant ...779), columns 2-3 protocol 6 and TTL 128 (constant),
column 4 a window-like value in {8192, 524032, 524288, 524544, 525558, 525568}, column 5 a port
in {502, 55783, 55924, 56783}; columns 6-10 are zero in every other row and small codes
otherwise. Cache file: ``NetworkPackets.csv`` in that format; :func:`load_data` returns it as
``numpy.loadtxt("NetworkPackets.csv", delimiter=",")`` does.

Stand-in: 21 rows built to that description with ``RandomState(0)``: source address
3232235520 + 253 or 258 (class 0) or + 261 (class 1), the constant columns as above, columns
4-5 drawn from the value sets, columns 6-10 zero in every other row and otherwise drawn from
{0, 12}, {0, 61}, {0.86, 5}, {6, 65280} and the integers 100-207. The label column keeps the
original order (8 zeros, then 13 ones). The inputs keep the original's raw scales.
"""

from __future__ import annotations

import numpy as np

from harness.datasets import Dataset, cached, record

NAME = "so44066044_packets"
FILE = "NetworkPackets.csv"
N_CLASS_0 = 8
N_CLASS_1 = 13
IP_BASE = 3232235520  # 192.168.0.0 as an integer

DATASET = Dataset(
    name=NAME,
    original="NetworkPackets.csv of SO 44066044: 21 rows x 11 features + label",
    cache=(FILE,),
    stand_in="21 synthetic packet rows (8 class 0, 13 class 1), raw scales",
    manual=(
        "NetworkPackets.csv from the DeepLocalize benchmark folder of Stack Overflow post "
        "44066044: put it in the cache folder under that name (1,157 bytes; sha256 not known "
        "here)."
    ),
)


def _stand_in() -> np.ndarray:
    rng = np.random.RandomState(0)
    n = N_CLASS_0 + N_CLASS_1
    label = np.array([0] * N_CLASS_0 + [1] * N_CLASS_1, dtype=np.float64)
    rows = np.zeros((n, 12))
    rows[:, 0] = IP_BASE + np.where(label == 1, 261, rng.choice([253, 258], size=n))
    rows[:, 1] = IP_BASE + 259
    rows[:, 2] = 6
    rows[:, 3] = 128
    rows[:, 4] = rng.choice([8192, 524032, 524288, 524544, 525558, 525568], size=n)
    rows[:, 5] = rng.choice([502, 55783, 55924, 56783], size=n)
    filled = np.arange(n) % 2 == 1
    k = int(filled.sum())
    rows[filled, 6] = rng.choice([0, 12], size=k)
    rows[filled, 7] = rng.choice([0, 61], size=k)
    rows[filled, 8] = rng.choice([0.86, 5], size=k)
    rows[filled, 9] = rng.choice([6, 65280], size=k)
    rows[filled, 10] = rng.randint(100, 208, size=k)
    rows[:, 11] = label
    return rows


def load_data() -> np.ndarray:
    """The table as ``numpy.loadtxt("NetworkPackets.csv", delimiter=",")``: a ``(21, 12)`` float
    array, features in columns 0-10, the 0/1 label in column 11."""
    path = cached(FILE)
    if path is not None:
        data = np.loadtxt(path, delimiter=",")
        record(NAME, "cache", "NetworkPackets.csv of SO 44066044, 21 rows x 11 features + label",
               path)
        return data
    record(NAME, "stand_in", "21 synthetic packet rows (8 class 0, 13 class 1), raw scales, "
           "source IP ~3.2e9 decides the class")
    return _stand_in()
