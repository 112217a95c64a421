"""Training-data mutation operators: the inputs or labels that every ``fit`` call trains on.

Each inserts one helper function after the program's imports and wraps the ``x`` or ``y``
argument of every ``fit`` call on the model with it. Validation data and the program's own
``evaluate`` are left alone: the fault is in what the model trains on. The helpers draw from
``numpy.random.default_rng(0)``, so the mutated data is the same under every seed.
"""

from __future__ import annotations

import ast

from harness.mutants.operators import Mutation, _mutation
from harness.mutants.source import (
    Edit,
    ProgramMap,
    first_statement_line,
    insert_before_line,
    replace,
    source_of,
)

_HELPERS = {
    "scale": '''

def _mutant_scale(x, factor):
    """Mutation (unscaled_inputs): the training inputs multiplied by a constant."""
    import numpy

    return numpy.asarray(x, dtype="float32") * factor
''',
    "nan": '''

def _mutant_nan_rows(x, fraction):
    """Mutation (nan_inputs): a fraction of the training rows set to NaN."""
    import numpy

    x = numpy.array(x, dtype="float32", copy=True)
    rows = numpy.random.default_rng(0).choice(len(x), max(1, int(len(x) * fraction)), replace=False)
    x[rows] = numpy.nan
    return x
''',
    "labels": '''

def _mutant_shuffle_labels(y, fraction):
    """Mutation (label_noise): the labels of a fraction of the rows shuffled among them."""
    import numpy

    y = numpy.array(y, copy=True)
    rng = numpy.random.default_rng(0)
    rows = rng.choice(len(y), int(len(y) * fraction), replace=False)
    y[rows] = y[rng.permutation(rows)]
    return y
''',
}


def _argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    if len(call.args) > position:
        arg = call.args[position]
        return None if isinstance(arg, ast.Starred) else arg
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _wrap(pmap: ProgramMap, position: int, name: str, helper: str, fn: str,
          extra: str) -> list[Edit] | None:
    """Edits wrapping argument ``position``/``name`` of every fit, plus the helper; ``None``
    when some fit has no such argument (a dataset or generator carries x and y together)."""
    edits = []
    for call in pmap.fit_calls:
        arg = _argument(call, position, name)
        if arg is None or _argument(call, 1, "y") is None:  # x without y: a generator
            return None
        edits.append(replace(arg, f"{fn}({source_of(pmap.source, arg)}, {extra})"))
    line = first_statement_line(pmap.tree)
    return [insert_before_line(line, _HELPERS[helper].lstrip("\n") + "\n\n"), *edits]


def unscaled_inputs(pmap: ProgramMap, task: str) -> list[Mutation]:
    """The training inputs multiplied by 255 (the scaling a program forgot, or did twice)."""
    edits = _wrap(pmap, 0, "x", "scale", "_mutant_scale", "255.0")
    if edits is None:
        return []
    return [_mutation(pmap, "unscaled_inputs", "x255", edits, "input_normalisation", "data",
                      "training inputs multiplied by 255", "slow_convergence")]


def nan_inputs(pmap: ProgramMap, task: str) -> list[Mutation]:
    """One percent of the training rows (at least one) set to NaN."""
    edits = _wrap(pmap, 0, "x", "nan", "_mutant_nan_rows", "0.01")
    if edits is None:
        return []
    return [_mutation(pmap, "nan_inputs", "1pct", edits, "data_preprocessing", "data",
                      "1 % of the training rows are NaN", "nan_loss")]


def label_noise(pmap: ProgramMap, task: str) -> list[Mutation]:
    """The labels of 50 % or all of the training rows shuffled."""
    out = []
    for fraction in (0.5, 1.0):
        edits = _wrap(pmap, 1, "y", "labels", "_mutant_shuffle_labels", repr(fraction))
        if edits is None:
            return []
        out.append(_mutation(pmap, "label_noise", f"{int(fraction * 100)}pct", edits,
                             "data_preprocessing", "data",
                             f"labels of {fraction:.0%} of the training rows shuffled",
                             "low_accuracy"))
    return out
