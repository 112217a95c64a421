"""IMDB movie-review sentiment, or offline: a synthetic bag-of-words corpus with sentiment words.

Original: ``keras.datasets.imdb`` — 25,000/25,000 reviews as lists of word indices (most frequent
word = 1 before the offset), balanced 0/1 labels. Cache file: ``imdb.npz`` with object arrays
``x_train, y_train, x_test, y_test`` (the file Keras downloads); it is processed like
``keras.datasets.imdb.load_data``: shuffled with seed 113, every review starts with 1, word
indices are offset by 3, and words at or above ``num_words`` become 2 (out of vocabulary).

Stand-in: the same format from a fixed generator. Word ranks follow a Zipf law (exponent 1.07)
over the vocabulary; review lengths are log-normal (median about 200 tokens). 200 "positive" and
200 "negative" mid-frequency words (ranks 500–3000) carry the sentiment: a review adds Poisson(10)
words of its own class's set and Poisson(4) of the other's, in random positions; 6 % of labels
are flipped. Indices follow the Keras convention (start 1, offset 3, out of vocabulary 2), so the
usual multi-hot vectorisation works unchanged. The same reviews come back on every call.
"""

from __future__ import annotations

import numpy as np

from harness.datasets import Dataset, Download, cached, record

NAME = "imdb_reviews"
FILE = "imdb.npz"
N_PER_SPLIT = 25000
VOCABULARY = 10000  # word ranks the stand-in draws from (before the index offset)
START_CHAR, OOV_CHAR, INDEX_FROM = 1, 2, 3

DATASET = Dataset(
    name=NAME,
    original="keras.datasets.imdb: 25000/25000 reviews as word indices",
    cache=(FILE,),
    stand_in="synthetic Zipf bag-of-words reviews with sentiment words, 25000 per split",
    downloads=(Download(
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz", FILE,
        "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
        "keras.datasets.imdb (Keras 3.15 source, file_hash)"),),
)


def _generate(n: int, num_words: int, rng: np.random.RandomState):
    """``n`` reviews; the first ``k`` are the same whatever ``n`` is (drawn one by one)."""
    ranks = np.arange(1, VOCABULARY + 1)
    cdf = np.cumsum(ranks**-1.07)
    cdf /= cdf[-1]
    sentiment = np.random.RandomState(12345).choice(np.arange(500, 3000), size=400, replace=False)
    positive, negative = sentiment[:200], sentiment[200:]
    docs, labels = [], np.empty(n, dtype=np.int64)
    for i in range(n):
        label = rng.randint(0, 2)
        length = int(np.clip(np.round(rng.lognormal(np.log(200), 0.6)), 10, 2000))
        own, other = (positive, negative) if label == 1 else (negative, positive)
        words = np.concatenate(
            [
                np.searchsorted(cdf, rng.random_sample(length)),
                rng.choice(own, size=rng.poisson(10)),
                rng.choice(other, size=rng.poisson(4)),
            ]
        )
        rng.shuffle(words)
        seq = words + INDEX_FROM + 1  # rank 0 is the most frequent word = index 1 + offset
        seq = np.where(seq >= num_words, OOV_CHAR, seq)
        docs.append([START_CHAR, *seq.tolist()])
        labels[i] = 1 - label if rng.random_sample() < 0.06 else label
    out = np.empty(n, dtype=object)
    out[:] = docs
    return out, labels


def _from_cache(path, num_words: int):
    """The cached ``imdb.npz`` processed like ``keras.datasets.imdb.load_data`` (seed 113)."""
    with np.load(path, allow_pickle=True) as f:
        raw = [(f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])]
    rng = np.random.RandomState(113)
    splits = []
    for x, y in raw:
        indices = np.arange(len(x))
        rng.shuffle(indices)
        seqs = [
            [START_CHAR] + [w + INDEX_FROM if w + INDEX_FROM < num_words else OOV_CHAR for w in seq]
            for seq in x[indices]
        ]
        arr = np.empty(len(seqs), dtype=object)
        arr[:] = seqs
        splits.append((arr, y[indices]))
    return splits[0], splits[1]


def load_data(num_words: int = 10000, n_samples: int | None = None):
    """``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.imdb.load_data(num_words)``.

    Args:
        num_words: Keep the ``num_words - 1`` most frequent word indices; rarer words become 2.
        n_samples: Keep only the first ``n_samples`` reviews of each split (``None``: all).
    """
    path = cached(FILE)
    if path is not None:
        (x_train, y_train), (x_test, y_test) = _from_cache(path, num_words)
        record(NAME, "cache", f"keras.datasets.imdb, num_words={num_words}", path)
        if n_samples is not None:
            x_train, y_train = x_train[:n_samples], y_train[:n_samples]
            x_test, y_test = x_test[:n_samples], y_test[:n_samples]
        return (x_train, y_train), (x_test, y_test)
    n = N_PER_SPLIT if n_samples is None else min(n_samples, N_PER_SPLIT)
    x_train, y_train = _generate(n, num_words, np.random.RandomState(0))
    x_test, y_test = _generate(n, num_words, np.random.RandomState(1))
    record(NAME, "stand_in", f"synthetic Zipf bag-of-words reviews, {n} per split, "
           f"num_words={num_words}")
    return (x_train, y_train), (x_test, y_test)
