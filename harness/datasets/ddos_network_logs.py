"""DDoS attack network logs (ARFF, 27 attributes, 5 classes), or offline: an imbalanced stand-in.

Original: ``final-dataset.arff`` from the DDOS-ML-Detection repository (a Git LFS file upstream,
absent from the DeepLocalize repository): about 2,160,668 packet records with 27 attributes and a
nominal class (Normal, UDP-Flood, Smurf, SIDDOS, HTTP-FLOOD; about 89.6 / 9.3 / 0.58 / 0.31 /
0.19 %). Numeric attributes are raw (magnitudes from about 1e-3 to 1e6); nominal attributes are
integer-coded in declaration order, as ``arff.load(f, encode_nominal=True)`` does. Cache file:
``ddos/final-dataset.arff``.

Stand-in: 200,000 rows from ``sklearn.datasets.make_classification`` (27 features, 12
informative, 4 redundant, 5 classes with one cluster each, class weights as above, so about
89.6 % class 0). Each column is then multiplied by a scale drawn log-uniformly in [1e-2, 1e6] and
shifted by a random offset, and the four nominal columns (packet type, flags, node names) are
turned into small non-negative integer codes. The class column is last. Fixed seed: the same
rows come back on every call.
"""

from __future__ import annotations

import numpy as np

from harness.datasets import Dataset, cached, record

NAME = "ddos_network_logs"
FILE = "ddos/final-dataset.arff"
N_STAND_IN = 200_000
CLASSES = ("Normal", "UDP-Flood", "Smurf", "SIDDOS", "HTTP-FLOOD")
CLASS_SHARES = (0.896, 0.093, 0.0058, 0.0031, 0.0019)
ATTRIBUTES = (
    "SRC_ADD", "DES_ADD", "PKT_ID", "FROM_NODE", "TO_NODE", "PKT_TYPE", "PKT_SIZE", "FLAGS",
    "FID", "SEQ_NUMBER", "NUMBER_OF_PKT", "NUMBER_OF_BYTE", "NODE_NAME_FROM", "NODE_NAME_TO",
    "PKT_IN", "PKT_OUT", "PKT_R", "PKT_DELAY_NODE", "PKT_RATE", "BYTE_RATE", "PKT_AVG_SIZE",
    "UTILIZATION", "PKT_DELAY", "PKT_SEND_TIME", "PKT_RESEVED_TIME", "FIRST_PKT_SENT",
    "LAST_PKT_RESEVED",
)
NOMINAL = {"PKT_TYPE": 5, "FLAGS": 7, "NODE_NAME_FROM": 12, "NODE_NAME_TO": 13}

DATASET = Dataset(
    name=NAME,
    original="final-dataset.arff: ~2.16 M packet records, 27 attributes, 5 classes",
    cache=(FILE,),
    stand_in="make_classification, 27 raw-scaled features, 5 imbalanced classes, 200000 rows",
    manual=(
        "final-dataset.arff of https://github.com/Jacobvs/DDOS-ML-Detection (a Git LFS file: "
        f"clone with git-lfs, or GitHub's raw download): save it as {FILE} in the cache folder "
        f"(sha256 not known here)."
    ),
)


def _stand_in(n_rows: int) -> np.ndarray:
    from sklearn.datasets import make_classification

    shares = np.array(CLASS_SHARES) / sum(CLASS_SHARES)
    x, y = make_classification(
        n_samples=n_rows, n_features=len(ATTRIBUTES), n_informative=12, n_redundant=4,
        n_classes=len(CLASSES), n_clusters_per_class=1, weights=list(shares), flip_y=0.0,
        random_state=0,
    )
    rng = np.random.RandomState(1)
    scale = 10.0 ** rng.uniform(-2, 6, x.shape[1])
    offset = rng.uniform(0, 3, x.shape[1]) * scale
    x = x * scale + offset
    for column in NOMINAL.values():
        z = (x[:, column] - x[:, column].mean()) / x[:, column].std()
        x[:, column] = np.clip(np.round(z * 1.5 + 3), 0, 8)
    return np.column_stack([x, y.astype(np.float64)])


def _read_arff(path) -> tuple[list[tuple[str, object]], np.ndarray]:
    """A small ARFF reader: numeric attributes as floats, nominal ones as their value's index."""
    import pandas as pd

    attributes: list[tuple[str, object]] = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            text = line.strip()
            if text.lower().startswith("@attribute"):
                _, name, kind = text.split(None, 2)
                if kind.startswith("{"):
                    values = [v.strip().strip("'\"") for v in kind.strip("{}").split(",")]
                    attributes.append((name, values))
                else:
                    attributes.append((name, kind.upper()))
            elif text.lower().startswith("@data"):
                break
        frame = pd.read_csv(f, header=None, comment="%", skipinitialspace=True, quotechar="'",
                            names=[a[0] for a in attributes])
    for name, kind in attributes:
        if isinstance(kind, list):
            frame[name] = frame[name].map({v: i for i, v in enumerate(kind)})
    return attributes, frame.to_numpy(dtype=np.float64)


def load_arff(n_rows: int | None = None) -> dict[str, object]:
    """``{"attributes": [...], "data": array (rows, 28)}``.

    Like ``arff.load(f, encode_nominal=True)``, with the data as one float array (class code in
    the last column).

    Args:
        n_rows: Keep only the first ``n_rows`` rows (``None``: all).
    """
    path = cached(FILE)
    if path is not None:
        attributes, data = _read_arff(path)
        record(NAME, "cache", f"DDoS network logs ARFF, {len(data)} rows", path)
    else:
        n = N_STAND_IN if n_rows is None else min(n_rows, N_STAND_IN)
        data = _stand_in(n)
        attributes = [(a, "NUMERIC") for a in ATTRIBUTES] + [("PKT_CLASS", list(CLASSES))]
        record(NAME, "stand_in", f"make_classification, 27 raw-scaled features, 5 imbalanced "
               f"classes, {n} rows")
    if n_rows is not None:
        data = data[:n_rows]
    return {"attributes": attributes, "data": data}
