"""The UCI Iris file ``iris.data``, or offline: scikit-learn's bundled copy in the same layout.

Original: ``iris.data`` from the UCI Machine Learning Repository (4,551 bytes; 150 rows and a
trailing blank line), comma-separated, no header: sepal length, sepal width, petal length,
petal width (cm) and the species as ``Iris-setosa`` / ``Iris-versicolor`` / ``Iris-virginica``,
50 rows each in that order. Cache file: ``iris.data`` in that format. Programs read it with
``pandas.read_csv("iris.data", header=None)``; :func:`read_csv` returns the same frame.

Stand-in: ``sklearn.datasets.load_iris`` in the same layout (columns 0-4, same row order, species
names with the ``Iris-`` prefix). scikit-learn's copy carries the two corrections of the UCI
errata, so rows 35 and 38 (1-based) differ slightly from the UCI file; nothing else differs.
"""

from __future__ import annotations

from typing import Any

from harness.datasets import Dataset, Download, cached, record

NAME = "iris_uci"
FILE = "iris.data"

DATASET = Dataset(
    name=NAME,
    original="UCI iris.data: 150 rows x 4 measurements + species",
    cache=(FILE,),
    stand_in="sklearn load_iris in the UCI layout (rows 35 and 38 corrected)",
    downloads=(Download(
        "https://archive.ics.uci.edu/ml/machine-learning-databases/iris/iris.data", FILE, None,
        "not known: UCI publishes no hash; the file is 4,551 bytes"),),
)


def _stand_in() -> Any:
    import pandas as pd
    from sklearn.datasets import load_iris

    iris = load_iris()
    frame = pd.DataFrame(iris.data.round(1))
    frame[4] = [f"Iris-{iris.target_names[t]}" for t in iris.target]
    return frame


def read_csv() -> Any:
    """The data set as ``pandas.read_csv("iris.data", header=None)``: a 150 x 5 DataFrame with
    the four measurements in columns 0-3 and the species name in column 4."""
    path = cached(FILE)
    if path is not None:
        import pandas as pd

        frame = pd.read_csv(path, header=None)
        record(NAME, "cache", "UCI iris.data, 150 rows x 4 features + species", path)
        return frame
    record(NAME, "stand_in", "sklearn load_iris in the UCI layout (rows 35 and 38 corrected)")
    return _stand_in()
