"""The ``case.toml`` draft of ``deeplocalize cases new``: what a script and its build probe tell.

Pure functions on program text and :class:`~harness.modelcheck.ProbeResult`: the ``compile``
settings as written (:func:`compile_settings`), the task a loss implies, the dataset a program
imports, a quick profile that gives every fit 100 batches, the changed lines of the patch, the
draft itself (:func:`skeleton`: inferred values filled, ``"TODO: <what to decide>"`` for the rest,
which :mod:`harness.schema` reports as left to fill in) and oracle conditions that separate two
measured runs (:func:`suggest_oracle`). :mod:`harness.newcase` does the files and the probing.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from harness import vocab
from harness.modelcheck import MIN_BATCHES, BuiltLayer, ProbeResult
from harness.schema import TODO
from harness.sites import fault_site

#: The buggy program's name in the case folder.
SCRIPT = "train.py"

#: What a person decides for each placeholder: dotted key -> the hint written after ``TODO:``.
HINTS = {
    "semantics": "keras2, tfkeras or keras3: the Keras the author ran "
    "(bugs/README.md, Loss semantics)",
    "data.original": "the data the author used (file, rows x columns, classes)",
    "data.stand_in": "what runs here instead, or 'none needed: the same generator runs here'",
    "ground_truth.categories": "every fault category the patch fixes, primary first: "
    + ", ".join(vocab.CATEGORIES),
    "ground_truth.targets": "where the fault is: " + ", ".join(vocab.TARGETS),
    "ground_truth.layers": "the faulty layer(s), copied from the list above; "
    "delete this line when targets do not include 'layer'",
    "ground_truth.site": "the union of the faulty layers' sites (list above); delete with layers",
    "ground_truth.symptom": "what the buggy program shows: " + ", ".join(vocab.SYMPTOMS),
    "ground_truth.description": "what goes wrong and why, with the numbers the buggy run shows",
    "ground_truth.fix": "what the patch changes",
    "oracle.buggy": "conditions on the buggy run's training summary, e.g. "
    '[{ metric = "accuracy", max = 0.7 }] (bugs/README.md, [oracle])',
    "oracle.patched": "conditions on the patched run's training summary",
}
#: Training-summary metrics tried for an oracle, best first, and whether higher is better.
ORACLE_METRICS = (("eval_accuracy", True), ("val_accuracy", True), ("accuracy", True),
                  ("eval_loss", False), ("val_loss", False), ("loss", False))


def provisional(case_id: str, semantics: str, quick: dict[str, int]) -> str:
    """A loadable ``case.toml`` for the staging root: placeholders, empty oracles."""
    origin = "stackoverflow" if case_id.startswith("so-") else "github"
    lines = [f'id = "{case_id}"', 'title = "draft"', 'source = "draft"', f'origin = "{origin}"',
             'task = "regression"', f'script = "{SCRIPT}"', f'semantics = "{semantics}"',
             'status = "active"', "[data]", 'name = "draft"', 'original = "draft"',
             'stand_in = "draft"', "[training]", "epochs = 1", "batch_size = 1",
             "[profiles.quick]", *(f"{k} = {v}" for k, v in quick.items()), "[ground_truth]",
             'categories = ["none"]', 'targets = ["none"]', 'symptom = "none"',
             'description = "draft"', 'fix = "draft"', "[oracle]", "buggy = []", "patched = []"]
    return "\n".join(lines) + "\n"


def compile_settings(source: str) -> dict[str, str]:
    """``optimizer`` and ``loss`` of the program's last ``.compile(...)`` call, as written.

    A name is replaced by the value of its last assignment before the call (``opt = SGD(0.1)``
    ... ``optimizer=opt`` gives ``"SGD(0.1)"``); a string constant gives its value.
    """
    tree = ast.parse(source)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr == "compile"]
    if not calls:
        return {}
    call = max(calls, key=lambda n: n.lineno)
    assigned: dict[str, ast.expr] = {}
    for node in sorted((n for n in ast.walk(tree) if isinstance(n, ast.Assign)
                        and n.lineno < call.lineno), key=lambda n: n.lineno):
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned[node.targets[0].id] = node.value
    given = dict(zip(("optimizer", "loss"), call.args, strict=False))
    given.update({k.arg: k.value for k in call.keywords if k.arg in ("optimizer", "loss")})
    out = {}
    for key, expr in given.items():
        if isinstance(expr, ast.Name) and expr.id in assigned:
            expr = assigned[expr.id]
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            out[key] = expr.value
        else:
            out[key] = " ".join((ast.get_source_segment(source, expr) or "").split())
    return {k: v for k, v in out.items() if v}


def infer_task(loss: str | None) -> str | None:
    """The task a loss implies (``binary_crossentropy`` -> ``binary``), or ``None``."""
    if not loss:
        return None
    name = loss.lower().replace("_", "")
    if "categorical" in name:
        return "multiclass"
    if "binary" in name:
        return "binary"
    regression = ("meansquared", "meanabsolute", "huber", "logcosh")
    if any(t in name for t in regression) or name.strip("'\"") in ("mse", "mae", "msle", "mape"):
        return "regression"
    return None


def data_name(source: str) -> str:
    """The ``harness.datasets`` module the program imports, else ``"generated"``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "harness.datasets" and node.names:
            return node.names[0].name
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("harness.datasets."):
            return (node.module or "").rsplit(".", 1)[1]
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("harness.datasets."):
                    return alias.name.rsplit(".", 1)[1]
    return "generated"


def quick_profile(params: set[str], results: Sequence[ProbeResult]) -> tuple[dict[str, int],
                                                                             list[str]]:
    """Quick-profile overrides (the fewest epochs giving every fit >= 100 batches, when the
    program reads ``param("epochs", ...)``) and notes on what could not be arranged."""
    fits = [f for r in results for f in r.fits]
    per_epoch = [f.batches_per_epoch for f in fits]
    if "epochs" in params and fits and all(per_epoch):
        epochs = max(math.ceil(MIN_BATCHES / p) for p in per_epoch if p)
        return ({"epochs": epochs} if any(f.epochs != epochs for f in fits) else {}), []
    notes = []
    for r in results:
        for f in r.fits:
            if f.batches is None or f.batches < MIN_BATCHES:
                notes.append(f"{r.variant} fit #{f.index} runs {f.describe()}, fewer than "
                             f"{MIN_BATCHES} batches: read the epochs with param(\"epochs\", "
                             f"{f.epochs}) and raise them in [profiles.quick], or say why not "
                             "in profiles.min_batches_reason")
    if not params:
        notes.append("the program reads no param(...), so its quick profile is its full training")
    return {}, notes


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def _todo(key: str) -> str:
    return f"{key.rsplit('.', 1)[-1]} = {_string(f'{TODO}: {HINTS[key]}')}"


def _layer_comments(buggy: ProbeResult, patched: ProbeResult) -> list[str]:
    layers = buggy.layers
    pairs = [(lay.cls, lay.has_weights) for lay in layers]
    lines = ["# The buggy model's layers (model.layers as the harness counts them) and the fault",
             "# site of each (bugs/README.md, Fault sites):"]
    for lay in layers:
        entry = f'{{ index = {lay.index}, class = "{lay.cls}", name = "{lay.name}" }}'
        lines.append(f"#   {entry:<58} site {sorted(fault_site(pairs, lay.index))}")
    lines += [f"#   {d}" for d in _layer_differences(layers, patched.layers)]
    return lines


def _layer_differences(buggy: tuple[BuiltLayer, ...], fixed: tuple[BuiltLayer, ...]) -> list[str]:
    if len(buggy) != len(fixed):
        return [f"(the fixed model has {len(fixed)} layers, the buggy one {len(buggy)})"]
    return [f"(layer {b.index} is a {f.cls} named {f.name!r} in the fixed model)"
            for b, f in zip(buggy, fixed, strict=True) if (b.cls, b.name) != (f.cls, f.name)]


def patch_lines(patch: str, limit: int = 12) -> list[str]:
    """The changed lines of a unified diff, ``"<old line> - text"`` / ``"<new line> + text"``."""
    out: list[str] = []
    old = new = 0
    for line in patch.splitlines():
        hunk = re.match(r"@@ -(\d+)(?:,\d+)? \+(\d+)", line)
        if hunk:
            old, new = int(hunk[1]), int(hunk[2])
        elif line.startswith(("---", "+++", "\\")):
            continue
        elif line.startswith("-"):
            out.append(f"{old:>4} - {line[1:].strip()}")
            old += 1
        elif line.startswith("+"):
            out.append(f"{new:>4} + {line[1:].strip()}")
            new += 1
        else:
            old, new = old + 1, new + 1
    return out[:limit] + ([f"... ({len(out) - limit} more)"] if len(out) > limit else [])


def skeleton(case_id: str, buggy_text: str, fixed_text: str, buggy: ProbeResult,
             patched: ProbeResult, patch: str, quick: dict[str, int],
             semantics: str | None) -> str:
    """The ``case.toml`` draft: inferred values filled, a ``TODO`` for everything else."""
    number = case_id.split("-", 1)[1]
    so = case_id.startswith("so-")
    settings = compile_settings(buggy_text)
    fixed_loss = compile_settings(fixed_text).get("loss")
    task = infer_task(fixed_loss)
    fit = buggy.fits[0]
    more = f" (fit #0 of {len(buggy.fits)})" if len(buggy.fits) > 1 else ""
    lines = [f"# Draft written by `deeplocalize cases new` on {date.today().isoformat()}. Replace",
             f'# every "{TODO}: ..." value; `deeplocalize cases check {case_id}` lists those left.',
             "# Keys and vocabularies: bugs/README.md.",
             f"id = {_string(case_id)}",
             f"title = {_string(('Stack Overflow ' if so else 'GitHub ') + number)}"
             "  # better: one line saying what goes wrong",
             "source = " + _string(f"https://stackoverflow.com/questions/{number}" if so else
                                   f"{TODO}: the repository URL, https://github.com/OWNER/REPO"),
             f"origin = {_string('stackoverflow' if so else 'github')}",
             (f"task = {_string(task)}  # from the fixed program's loss {fixed_loss}" if task else
              f"task = {_string(f'{TODO}: one of ' + ', '.join(vocab.TASKS))}"),
             f"script = {_string(SCRIPT)}",
             f"semantics = {_string(semantics)}" if semantics else _todo("semantics"),
             'status = "active"', "", "[data]",
             f"name = {_string(data_name(buggy_text))}  # harness.datasets module, or generated",
             _todo("data.original"), _todo("data.stand_in"), "",
             f"[training]  # the buggy program's first fit{more} and its compile call",
             f"epochs = {fit.epochs}",
             (f"batch_size = {fit.batch_size}" if fit.batch_size else
              f"batch_size = {_string(f'{TODO}: the batch size (the fit reads a dataset)')}")]
    lines += [f"{k} = {_string(v)}" for k, v in settings.items()]
    lines += ["", "[profiles.quick]"]
    if quick:
        lines.append("# the fewest epochs that give every fit at least 100 batches")
    lines += [f"{k} = {v}" for k, v in quick.items()]
    lines += ["", "[ground_truth]", _todo("ground_truth.categories"),
              _todo("ground_truth.targets"), *_layer_comments(buggy, patched),
              f"# The fix (patches/{case_id}.diff) changes these lines of {SCRIPT}:",
              *(f"#   {line}" for line in patch_lines(patch)),
              _todo("ground_truth.layers"), _todo("ground_truth.site"),
              _todo("ground_truth.symptom"), _todo("ground_truth.description"),
              _todo("ground_truth.fix"), "", "[oracle]", _todo("oracle.buggy"),
              _todo("oracle.patched"), ""]
    return "\n".join(lines)


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _between(low: float, high: float) -> str:
    """The shortest number strictly between ``low`` and ``high`` near their middle, as text."""
    middle = (low + high) / 2
    for digits in range(2, 17):
        text = f"{middle:.{digits}g}"
        if low < float(text) < high:
            return text
    return repr(middle)


def suggest_oracle(measured: dict[str, list[dict[str, Any]]]) -> tuple[list[str], str]:
    """Oracle lines separating the measured runs, and why (or why none was found).

    ``measured`` maps ``buggy``/``patched`` to each seed's training-summary metrics. The first
    metric of :data:`ORACLE_METRICS` whose values do not overlap gets a threshold halfway; a loss
    that is non-finite in every buggy run and finite in every patched one wins over all.
    """
    runs = [measured.get(v) or [] for v in vocab.VARIANTS]
    if not all(runs):
        return [], "no completed run of both variants to compare"

    def nonfinite(m: dict[str, Any]) -> bool:
        return bool(m.get("loss_nonfinite"))

    if all(map(nonfinite, runs[0])) and not any(map(nonfinite, runs[1])):
        return (['buggy = [{ metric = "loss", nonfinite = true }]',
                 'patched = [{ metric = "loss", nonfinite = false }]'],
                "the buggy loss is non-finite in every run, the patched one never")
    for metric, higher in ORACLE_METRICS:
        values = [[m.get(metric) for m in r] for r in runs]
        if not all(isinstance(v, int | float) for vs in values for v in vs):
            continue
        bad, good = (max(values[0]), min(values[1])) if higher else (min(values[0]),
                                                                       max(values[1]))
        if (bad < good) if higher else (bad > good):
            cut = _between(min(bad, good), max(bad, good))
            near, far = ("max", "min") if higher else ("min", "max")
            return ([f'buggy = [{{ metric = "{metric}", {near} = {cut} }}]',
                     f'patched = [{{ metric = "{metric}", {far} = {cut} }}]'],
                    f"{metric}: buggy {', '.join(map(_fmt, values[0]))}; patched "
                    f"{', '.join(map(_fmt, values[1]))}")
    return [], ("no metric separates the variants on these runs: keep trying seeds or a longer "
                'profile, or declare separates = false with measured = "..." and reason = "..."')
