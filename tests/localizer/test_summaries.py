"""SummaryTable against numpy: mixed families, unknown batch sizes, NaN, Inf and zeros."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from localizer.rules import STATS
from localizer.summaries import LARGE, SummaryTable


def reference(values: list[np.ndarray]) -> np.ndarray:
    """The STATS row of all elements of ``values``, as the rules define it."""
    if not values:
        return np.zeros(len(STATS))
    x = np.concatenate([v.ravel() for v in values]).astype(np.float64)
    finite = bool(np.isfinite(x).all())
    row = {
        "n": x.size,
        "mean": x.mean() if finite else np.nan,
        "std": x.std() if finite else np.nan,
        "min": x.min() if finite else np.nan,
        "max": x.max() if finite else np.nan,
        "nan": np.isnan(x).sum(),
        "inf": np.isinf(x).sum(),
        "zero_frac": (x == 0).sum() / x.size,
    }
    return np.array([row[name] for name in STATS])


def build_table(inputs: list[np.ndarray], batch_known: bool) -> np.ndarray:
    """Slots: 0 = family of a, b, c (one per slot: 0, 1, 2); 3 = w alone; 4 = u and v; 5 = big;
    6 = nothing. a, b, c share a shape (with a batch dimension), as a layer's pre-activation,
    output and output gradient do."""
    specs = [
        tf.TensorSpec(x.shape if batch_known else (None, *x.shape[1:]), tf.float32)
        if i < 3 or i == 6 else tf.TensorSpec(x.shape, tf.float32)
        for i, x in enumerate(inputs)
    ]

    @tf.function(input_signature=specs)
    def run(a, b, c, w, u, v, big):
        table = SummaryTable(7)
        table.add_family([0, 1, 2], [a, b, c])
        table.add(3, [w])
        table.add_family([4, 4], [u, v])
        table.add(5, [big])
        return table.build()

    return run(*inputs).numpy()


def make_inputs(rng: np.random.Generator, poison: bool) -> list[np.ndarray]:
    a, b, c = (rng.normal(size=(5, 3, 4)).astype("float32") for _ in range(3))
    b[b < 0] = 0.0  # a ReLU output: many exact zeros
    w = rng.normal(size=(7, 2)).astype("float32")
    u, v = rng.normal(size=(6,)).astype("float32"), np.zeros(6, "float32")
    big = rng.normal(size=(LARGE // 4 + 1, 4)).astype("float32")  # reduced on its own
    if poison:
        a[0, 0, 0], a[1, 2, 3] = np.nan, np.inf
        w[3, 1] = -np.inf
        big[10, 2] = np.nan
    return [a, b, c, w, u, v, big]


@pytest.mark.parametrize("poison", [False, True], ids=["finite", "nan-and-inf"])
@pytest.mark.parametrize("batch_known", [True, False], ids=["static", "unknown-batch"])
def test_summary_table_matches_numpy(poison: bool, batch_known: bool) -> None:
    a, b, c, w, u, v, big = inputs = make_inputs(np.random.default_rng(0), poison)
    table = build_table(inputs, batch_known)
    expected = [reference(x) for x in ([a], [b], [c], [w], [u, v], [big], [])]
    names = list(STATS)
    for slot, want in enumerate(expected):
        got = table[slot]
        counts = [names.index(k) for k in ("n", "nan", "inf")]
        np.testing.assert_array_equal(got[counts], want[counts], err_msg=f"slot {slot}")
        zeros = names.index("zero_frac")  # as a count of zeros: exact
        n = want[names.index("n")]
        assert round(got[zeros] * n) == round(want[zeros] * n), f"slot {slot}"
        if want[names.index("nan")] or want[names.index("inf")]:
            continue  # mean/std/min/max of poisoned values are not finite numbers to compare
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"slot {slot}")
