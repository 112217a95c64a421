"""Kaggle Titanic (``train.csv`` / ``test.csv``), or offline: a synthetic passenger table in the
same raw form.

Original: Kaggle's "Titanic - Machine Learning from Disaster" files. ``train.csv``: 891 rows,
columns PassengerId, Survived (38 % positive), Pclass, Name, Sex, Age, SibSp, Parch, Ticket,
Fare, Cabin, Embarked; ``test.csv``: 418 rows, the same without Survived. Age, Fare, Cabin and
Embarked have missing values. Cache files: ``titanic_train.csv`` and ``titanic_test.csv`` (the
two Kaggle files renamed); :func:`load_data` returns what
``pandas.read_csv("train.csv", index_col=0)`` and ``pandas.read_csv("test.csv", index_col=0)``
return. Else, when installed, the package ``titanic-model`` 1.1.0 (MIT), whose
``titanic_model/datasets/train.csv`` / ``test.csv`` are these files (891 / 418 rows, 61,194 /
28,629 bytes, checked by sha256). The Kaggle files need a login: ``deeplocalize data fetch
titanic`` prints the manual steps.

Stand-in (``RandomState(0)``; 891 + 418 passengers with PassengerId 1-1309), drawn per column so
that label-encoding over train and test gives the original's codes and scales:

- Pclass 1/2/3 with probabilities .24/.21/.55; Sex ``male`` with probability .64;
- Name: a distinct string per passenger, in random sort order (codes 0-1308);
- Age: normal(29.7, 14.5) clipped to [0.42, 80], rounded, 20 % missing;
- SibSp from {0, 1, 2, 3, 4, 5, 8} with .68/.235/.03/.02/.02/.005/.01; Parch from
  {0, 1, 2, 3, 4, 5, 6, 9} with .76/.13/.085/.008/.005/.005/.005/.002;
- Ticket: 929 distinct ticket strings, shared by groups of passengers;
- Fare: log-normal with median 60/15/9.5 for class 1/2/3, clipped to 512; one test fare missing;
- Cabin: missing with probability .77, otherwise one of 186 cabin strings (deck letter + number);
- Embarked C/Q/S/missing with .19/.09/.718/.002;
- Survived: Bernoulli of a logistic model of sex, class and age whose intercept is set so that
  38 % of the passengers survive on average.
"""

from __future__ import annotations

import numpy as np

from harness.datasets import Dataset, Package, PackagedFile, record, record_resolved, resolve

NAME = "titanic"
TRAIN_FILE = "titanic_train.csv"
TEST_FILE = "titanic_test.csv"
N_TRAIN = 891
N_TEST = 418
_TRAIN_SHA256 = "7d118fef8b6ccf7f81111877bc388536f7b1e498a655e3d649d19aaa010e9f6f"
_TEST_SHA256 = "56023b9948236f3c7a1c9448fcf418b283e109ef177fa8c7e069158dd7dd52b2"

TITANIC_MODEL = Package(
    distribution="titanic-model", module="titanic_model", version="1.1.0", licence="MIT",
    files=(PackagedFile(TRAIN_FILE, "datasets/train.csv", _TRAIN_SHA256, 61194),
           PackagedFile(TEST_FILE, "datasets/test.csv", _TEST_SHA256, 28629)),
)

DATASET = Dataset(
    name=NAME,
    original="Kaggle Titanic train.csv/test.csv, 891/418 passengers, raw columns",
    cache=(TRAIN_FILE, TEST_FILE),
    stand_in="synthetic Titanic-like passengers, 891/418 rows, 38 % survival (logistic model)",
    packages=(TITANIC_MODEL,),
    manual=(
        "Kaggle competition 'titanic' (https://www.kaggle.com/c/titanic/data; needs a Kaggle "
        "login and accepting the rules): download train.csv and test.csv and save them in the "
        f"cache folder as {TRAIN_FILE} and {TEST_FILE}. Expected sha256 (of the titanic-model "
        f"1.1.0 copies, said to be Kaggle's files byte for byte; not checked against Kaggle "
        f"here): train {_TRAIN_SHA256}, test {_TEST_SHA256}. Offline alternative: bash "
        "scripts/data installs titanic-model."
    ),
)


def _survival_probability(male, pclass, age_filled, intercept):
    logit = intercept - 2.5 * male - 1.0 * (pclass - 1) - 0.03 * (age_filled - 30.0)
    return 1.0 / (1.0 + np.exp(-logit))


def _stand_in():
    import pandas as pd

    rng = np.random.RandomState(0)
    n = N_TRAIN + N_TEST
    pclass = rng.choice([1, 2, 3], size=n, p=[0.24, 0.21, 0.55])
    male = rng.rand(n) < 0.64
    name_order = rng.permutation(n)
    names = np.array([f"Passenger {k:04d}, Mr. {k:04d}" for k in name_order], dtype=object)
    age = np.round(np.clip(rng.normal(29.7, 14.5, size=n), 0.42, 80.0))
    age_missing = rng.rand(n) < 0.20
    sibsp = rng.choice([0, 1, 2, 3, 4, 5, 8], size=n,
                       p=[0.68, 0.235, 0.03, 0.02, 0.02, 0.005, 0.01])
    parch = rng.choice([0, 1, 2, 3, 4, 5, 6, 9], size=n,
                       p=[0.76, 0.13, 0.085, 0.008, 0.005, 0.005, 0.005, 0.002])
    ticket_pool = np.array(
        [f"{rng.choice(['', '', '', 'PC ', 'A/5 ', 'STON/O2. ', 'C.A. '])}{num}"
         for num in rng.choice(np.arange(1000, 400000), size=929, replace=False)],
        dtype=object,
    )
    ticket_index = np.concatenate([np.arange(929), rng.randint(0, 929, size=n - 929)])
    tickets = ticket_pool[rng.permutation(ticket_index)]
    median_fare = np.choose(pclass - 1, [60.0, 15.0, 9.5])
    fare = np.round(np.clip(median_fare * np.exp(rng.normal(0.0, 0.7, size=n)), 0.0, 512.0), 4)
    cabin_pool = np.array(
        sorted({f"{deck}{num}" for deck, num in zip(rng.choice(list("ABCDEFG"), size=400),
                                                    rng.randint(1, 149, size=400))})[:186],
        dtype=object,
    )
    cabins = np.where(rng.rand(n) < 0.77, None, cabin_pool[rng.randint(0, 186, size=n)])
    embarked = rng.choice(np.array(["C", "Q", "S", None], dtype=object), size=n,
                          p=[0.19, 0.09, 0.718, 0.002])

    age_filled = np.where(age_missing, 29.7, age)
    lo, hi = -10.0, 10.0
    for _ in range(60):  # intercept so that the mean survival probability is 0.38
        mid = (lo + hi) / 2
        if _survival_probability(male, pclass, age_filled, mid).mean() < 0.38:
            lo = mid
        else:
            hi = mid
    survived = (rng.rand(n) < _survival_probability(male, pclass, age_filled, lo)).astype(int)

    frame = pd.DataFrame(
        {
            "PassengerId": np.arange(1, n + 1),
            "Survived": survived,
            "Pclass": pclass,
            "Name": names,
            "Sex": np.where(male, "male", "female"),
            "Age": np.where(age_missing, np.nan, age),
            "SibSp": sibsp,
            "Parch": parch,
            "Ticket": tickets,
            "Fare": fare,
            "Cabin": cabins,
            "Embarked": embarked,
        }
    ).set_index("PassengerId")
    frame.loc[N_TRAIN + 153, "Fare"] = np.nan  # the test file has one missing fare
    train = frame.iloc[:N_TRAIN].copy()
    test = frame.iloc[N_TRAIN:].drop(columns="Survived")
    return train, test


def load_data():
    """``(train, test)`` as ``pandas.read_csv("train.csv", index_col=0)`` and
    ``pandas.read_csv("test.csv", index_col=0)``: 891 rows with ``Survived`` and 418 without,
    indexed by ``PassengerId``, raw columns with missing values."""
    import pandas as pd

    source = resolve(DATASET)
    if source.source != "stand_in":
        train = pd.read_csv(source.paths[TRAIN_FILE], index_col=0)
        test = pd.read_csv(source.paths[TEST_FILE], index_col=0)
        record_resolved(NAME, source, f"Kaggle Titanic train.csv/test.csv, {len(train)}/"
                        f"{len(test)} rows")
        return train, test
    record(NAME, "stand_in", "synthetic Titanic-like passengers, 891/418 rows, raw columns, "
           "38 % survival from a logistic model of sex, class and age", origin=source.origin)
    return _stand_in()
